//! Privacy for make-it-right and the surveys: what a data request exports
//! (the customer's cases with their history, their survey answers), and what
//! a shop's redaction deletes. A customer's redaction is in `Cases` and
//! `Surveys`: the cases and scores stay, anonymous.
use crate::db::delete_where;
use entity::{shop_settings, support_case_events, support_cases, survey_responses};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde_json::{Value, json};

pub async fn export_customer(
    db: &impl ConnectionTrait,
    shop_id: i64,
    customer_id: Option<i64>,
    email: Option<&str>,
) -> Result<Value, DbErr> {
    let mut whose = Condition::any();
    if let Some(id) = customer_id {
        whose = whose.add(support_cases::Column::CustomerId.eq(id));
    }
    if let Some(email) = email.filter(|e| !e.is_empty()) {
        whose = whose.add(support_cases::Column::CustomerEmail.eq(email));
    }
    let cases = if customer_id.is_none() && email.is_none_or(str::is_empty) {
        Vec::new()
    } else {
        support_cases::Entity::find()
            .filter(support_cases::Column::ShopId.eq(shop_id))
            .filter(whose)
            .all(db)
            .await?
    };
    let mut case_docs = Vec::with_capacity(cases.len());
    for case in &cases {
        let events = support_case_events::Entity::find()
            .filter(support_case_events::Column::CaseId.eq(case.id))
            .all(db)
            .await?;
        case_docs.push(json!({
            "id": case.id, "source": case.source, "category": case.category,
            "status": case.status, "message": case.message, "opened_at": case.opened_at,
            "resolved_at": case.resolved_at,
            "history": events.iter().map(|e| json!({
                "kind": e.kind, "body": e.body, "at": e.created_at,
            })).collect::<Vec<_>>(),
        }));
    }
    let answers = match customer_id {
        Some(id) => {
            survey_responses::Entity::find()
                .filter(survey_responses::Column::ShopId.eq(shop_id))
                .filter(survey_responses::Column::CustomerId.eq(id))
                .all(db)
                .await?
        }
        None => Vec::new(),
    };
    Ok(json!({
        "support_cases": case_docs,
        "survey_answers": answers.iter().map(|a| json!({
            "question": a.kind, "score": a.score, "comment": a.comment, "answered_at": a.updated_at,
        })).collect::<Vec<_>>(),
    }))
}

/// `shop/redact`: every case, answer and setting of the shop.
pub async fn redact_shop(db: &impl ConnectionTrait, shop_id: i64) -> Result<(), DbErr> {
    delete_where::<support_case_events::Entity>(db, support_case_events::Column::ShopId, shop_id)
        .await?;
    delete_where::<support_cases::Entity>(db, support_cases::Column::ShopId, shop_id).await?;
    delete_where::<survey_responses::Entity>(db, survey_responses::Column::ShopId, shop_id).await?;
    delete_where::<shop_settings::Entity>(db, shop_settings::Column::ShopId, shop_id).await?;
    Ok(())
}
