//! The merchant's reply to a make-it-right case, as the customer receives
//! it: their words quoted, the remedy's code when there is one, and the
//! case number to answer to. Transactional: they wrote to the shop.
use super::compose::{Composed, Letter};
use super::templates::TemplateError;
use serde_json::json;

pub struct CaseReply {
    pub letter: Letter,
    pub case_number: i64,
    pub reply: String,
    /// A store-credit code given with the reply.
    pub code: Option<String>,
}

impl CaseReply {
    pub fn compose(&self) -> Result<Composed, TemplateError> {
        let l = &self.letter;
        let number = self.case_number.to_string();
        let texts = json!({
            "code_intro": l.text("code_intro", &[]),
            "case_ref": l.text("case_ref", &[("case", &number)]),
        });
        let data = json!({ "reply": self.reply, "code": self.code });
        l.render(
            "support_reply",
            l.subject(&[("case", &number), ("shop", &l.shop_name)]),
            &[],
            texts,
            data,
        )
    }
}
