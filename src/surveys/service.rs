//! Recording answers (one per order and question; the last click wins) and
//! reading the shop's scores over a period.
use super::score::{Question, csat, nps};
use chrono::{DateTime, Utc};
use entity::survey_responses;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

/// The most a comment keeps.
pub const MAX_COMMENT: usize = 2000;

pub struct Surveys;

/// A shop's answers over a period.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SurveySummary {
    pub nps: Option<f64>,
    pub nps_responses: usize,
    pub promoters: usize,
    pub passives: usize,
    pub detractors: usize,
    pub csat: Option<f64>,
    pub csat_responses: usize,
    /// Check-in answers: all went well / something went wrong.
    pub checkin_yes: usize,
    pub checkin_no: usize,
}

impl Surveys {
    /// Records (or changes) the answer to `question` about an order.
    #[allow(clippy::too_many_arguments)]
    pub async fn answer(
        db: &impl ConnectionTrait,
        shop_id: i64,
        order_id: i64,
        customer_id: Option<i64>,
        question: Question,
        score: i16,
        locale: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        survey_responses::Entity::insert(survey_responses::ActiveModel {
            shop_id: Set(shop_id),
            order_id: Set(order_id),
            customer_id: Set(customer_id),
            kind: Set(question.key().to_owned()),
            score: Set(score),
            comment: Set(None),
            locale: Set(locale.to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([
                survey_responses::Column::ShopId,
                survey_responses::Column::OrderId,
                survey_responses::Column::Kind,
            ])
            .update_columns([
                survey_responses::Column::Score,
                survey_responses::Column::UpdatedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        Ok(())
    }

    /// Adds the customer's comment to an answer they gave; false when there is none.
    pub async fn comment(
        db: &impl ConnectionTrait,
        shop_id: i64,
        order_id: i64,
        question: Question,
        comment: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let comment: String = comment.trim().chars().take(MAX_COMMENT).collect();
        let result = survey_responses::Entity::update_many()
            .col_expr(
                survey_responses::Column::Comment,
                Expr::value((!comment.is_empty()).then_some(comment)),
            )
            .col_expr(survey_responses::Column::UpdatedAt, Expr::value(now))
            .filter(survey_responses::Column::ShopId.eq(shop_id))
            .filter(survey_responses::Column::OrderId.eq(order_id))
            .filter(survey_responses::Column::Kind.eq(question.key()))
            .exec(db)
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// The answers about one order, by question.
    pub async fn for_order(
        db: &impl ConnectionTrait,
        shop_id: i64,
        order_id: i64,
    ) -> Result<Vec<survey_responses::Model>, DbErr> {
        survey_responses::Entity::find()
            .filter(survey_responses::Column::ShopId.eq(shop_id))
            .filter(survey_responses::Column::OrderId.eq(order_id))
            .all(db)
            .await
    }

    /// Scores of answers given in `[from, to)`.
    pub async fn summary(
        db: &impl ConnectionTrait,
        shop_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<SurveySummary, DbErr> {
        let rows: Vec<(String, i16)> = survey_responses::Entity::find()
            .filter(survey_responses::Column::ShopId.eq(shop_id))
            .filter(survey_responses::Column::CreatedAt.gte(from))
            .filter(survey_responses::Column::CreatedAt.lt(to))
            .select_only()
            .column(survey_responses::Column::Kind)
            .column(survey_responses::Column::Score)
            .into_tuple()
            .all(db)
            .await?;
        Ok(summarise(&rows))
    }

    /// The latest answers with comments, newest first.
    pub async fn recent(
        db: &impl ConnectionTrait,
        shop_id: i64,
        limit: u64,
    ) -> Result<Vec<survey_responses::Model>, DbErr> {
        survey_responses::Entity::find()
            .filter(survey_responses::Column::ShopId.eq(shop_id))
            .order_by_desc(survey_responses::Column::UpdatedAt)
            .order_by_desc(survey_responses::Column::Id)
            .limit(limit)
            .all(db)
            .await
    }

    /// `customers/redact`: the answers stay as anonymous scores; the
    /// comments (the customer's own words) go.
    pub async fn redact_customer(
        db: &impl ConnectionTrait,
        shop_id: i64,
        customer_id: i64,
    ) -> Result<(), DbErr> {
        survey_responses::Entity::update_many()
            .col_expr(
                survey_responses::Column::CustomerId,
                Expr::value(Option::<i64>::None),
            )
            .col_expr(
                survey_responses::Column::Comment,
                Expr::value(Option::<String>::None),
            )
            .filter(survey_responses::Column::ShopId.eq(shop_id))
            .filter(survey_responses::Column::CustomerId.eq(customer_id))
            .exec(db)
            .await?;
        Ok(())
    }
}

/// The summary of (question, score) rows, pure.
pub fn summarise(rows: &[(String, i16)]) -> SurveySummary {
    let scores = |q: Question| -> Vec<i16> {
        rows.iter()
            .filter(|(k, _)| k == q.key())
            .map(|(_, s)| *s)
            .collect()
    };
    let (n, c, k) = (
        scores(Question::Nps),
        scores(Question::Csat),
        scores(Question::Checkin),
    );
    SurveySummary {
        nps: nps(&n),
        nps_responses: n.len(),
        promoters: n.iter().filter(|s| **s >= 9).count(),
        passives: n.iter().filter(|s| (7..=8).contains(*s)).count(),
        detractors: n.iter().filter(|s| **s <= 6).count(),
        csat: csat(&c),
        csat_responses: c.len(),
        checkin_yes: k.iter().filter(|s| **s == 1).count(),
        checkin_no: k.iter().filter(|s| **s == 0).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_splits_answers_by_question() {
        let rows: Vec<(String, i16)> = [
            ("nps", 10),
            ("nps", 9),
            ("nps", 7),
            ("nps", 3),
            ("csat", 5),
            ("csat", 2),
            ("checkin", 1),
            ("checkin", 0),
            ("checkin", 1),
        ]
        .iter()
        .map(|(k, s)| (k.to_string(), *s))
        .collect();
        let s = summarise(&rows);
        assert_eq!(s.nps, Some(25.0));
        assert_eq!((s.promoters, s.passives, s.detractors), (2, 1, 1));
        assert_eq!((s.csat, s.csat_responses), (Some(50.0), 2));
        assert_eq!((s.checkin_yes, s.checkin_no), (2, 1));
        assert_eq!(summarise(&[]).nps, None);
    }
}
