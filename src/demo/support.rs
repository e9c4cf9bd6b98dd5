//! The demo shop's make-it-right desk and survey answers: customers who
//! answered the NPS and satisfaction questions after their deliveries (with a
//! few comments in their languages), and cases in every state — one just
//! opened, one about to miss its first reply, one already late, one answered,
//! one resolved with a remedy — so the timers and breach flags have
//! something to show. Keyed: a second run adds nothing.
use super::seed::DEMO_SHOP;
use crate::shopify::ShopDomain;
use crate::shops::Shops;
use crate::support::{Cases, NewCase, Severity};
use crate::surveys::{Question, Surveys};
use chrono::{DateTime, Duration, Utc};
use entity::{customers, delivery_promises, orders};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

/// A case to seed: how long ago it opened, what was wrong, what was said, and how far it got.
struct DemoCase {
    hours_ago: i64,
    category: &'static str,
    source: &'static str,
    message: [&'static str; 3],
    reply: Option<[&'static str; 3]>,
    resolved: bool,
}

const CASES: [DemoCase; 6] = [
    DemoCase {
        hours_ago: 0,
        category: "damaged",
        source: "checkin",
        message: [
            "The lamp arrived with a cracked base.",
            "La lampada è arrivata con la base crepata.",
            "La lampe est arrivée avec le pied fêlé.",
        ],
        reply: None,
        resolved: false,
    },
    DemoCase {
        hours_ago: 1,
        category: "late",
        source: "contact",
        message: [
            "My order still says in transit — any news?",
            "Il mio ordine risulta ancora in transito: novità?",
            "Ma commande est toujours en transit, des nouvelles ?",
        ],
        reply: None,
        resolved: false,
    },
    DemoCase {
        hours_ago: 5,
        category: "wrong_item",
        source: "checkin",
        message: [
            "I received the blue set instead of the grey one.",
            "Ho ricevuto il set blu invece di quello grigio.",
            "J'ai reçu le set bleu au lieu du gris.",
        ],
        reply: None,
        resolved: false,
    },
    DemoCase {
        hours_ago: 20,
        category: "missing",
        source: "checkin",
        message: [
            "The charging cable was not in the box.",
            "Nella scatola mancava il cavo di ricarica.",
            "Le câble de recharge n'était pas dans la boîte.",
        ],
        reply: Some([
            "So sorry! A cable is on its way today, tracked.",
            "Ci dispiace! Il cavo parte oggi, tracciato.",
            "Désolés ! Le câble part aujourd'hui, suivi.",
        ]),
        resolved: false,
    },
    DemoCase {
        hours_ago: 30,
        category: "late",
        source: "checkin",
        message: [
            "It came a week after the date you gave.",
            "È arrivato una settimana dopo la data indicata.",
            "Il est arrivé une semaine après la date annoncée.",
        ],
        reply: Some([
            "You're right, and we're sorry: here are some points for the wait.",
            "Hai ragione, e ci dispiace: ecco dei punti per l'attesa.",
            "Vous avez raison, désolés : voici des points pour l'attente.",
        ]),
        resolved: true,
    },
    DemoCase {
        hours_ago: 52,
        category: "other",
        source: "contact",
        message: [
            "Can I change the delivery address?",
            "Posso cambiare l'indirizzo di consegna?",
            "Puis-je changer l'adresse de livraison ?",
        ],
        reply: Some([
            "Done — the supplier has the new address.",
            "Fatto: il fornitore ha il nuovo indirizzo.",
            "C'est fait : le fournisseur a la nouvelle adresse.",
        ]),
        resolved: true,
    },
];

/// Survey comments by language, for a few of the answers.
const COMMENTS: [[&str; 3]; 3] = [
    [
        "Honest delivery dates, and it arrived inside them.",
        "Date di consegna oneste, ed è arrivato in tempo.",
        "Des dates de livraison honnêtes, et c'est arrivé dans les temps.",
    ],
    [
        "Good product, the box was a bit battered.",
        "Buon prodotto, la scatola un po' rovinata.",
        "Bon produit, le carton un peu abîmé.",
    ],
    [
        "Took longer than I hoped.",
        "Ci ha messo più del previsto.",
        "Plus long que prévu.",
    ],
];

fn lang_index(locale: &str) -> usize {
    match locale {
        "it" => 1,
        "fr" => 2,
        _ => 0,
    }
}

/// Seeds the answers and cases once; returns how many cases it opened.
pub async fn seed_support(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize, DbErr> {
    let Some(shop) = Shops::find(db, &ShopDomain::from_stored(DEMO_SHOP.to_owned())).await? else {
        return Ok(0);
    };
    // Survey answers three days after each delivery of the last five months.
    let delivered: Vec<(delivery_promises::Model, Option<orders::Model>)> =
        delivery_promises::Entity::find()
            .filter(delivery_promises::Column::ShopId.eq(shop.id))
            .filter(delivery_promises::Column::DeliveredAt.gt(now - Duration::days(150)))
            .find_also_related(orders::Entity)
            .order_by_asc(delivery_promises::Column::Id)
            .all(db)
            .await?;
    for (promise, order) in &delivered {
        let (Some(order), Some(at)) = (order, promise.delivered_at) else {
            continue;
        };
        let answered = at + Duration::days(3);
        if answered > now || order.id % 5 == 0 {
            continue;
        }
        let late = promise.promised_latest < crate::clock::local_date(at, chrono_tz::Tz::UTC);
        // Late deliveries score lower: the point of honest promises.
        let roll = order.id.rem_euclid(10) as i16;
        let nps = if late { 3 + roll % 6 } else { 7 + roll % 4 };
        let csat = if late { 2 + roll % 3 } else { 4 + roll % 2 };
        let lang = crate::i18n::negotiate(order.customer_locale.as_deref());
        for (question, score) in [(Question::Nps, nps), (Question::Csat, csat)] {
            Surveys::answer(
                db,
                shop.id,
                order.id,
                order.customer_id,
                question,
                score,
                lang,
                answered,
            )
            .await?;
        }
        if order.id % 7 == 0 {
            let comment =
                COMMENTS[if late { 2 } else { (order.id % 2) as usize }][lang_index(lang)];
            Surveys::comment(db, shop.id, order.id, Question::Nps, comment, answered).await?;
        }
    }

    // The cases, on the most recent orders of customers with an address.
    let recent: Vec<(orders::Model, Option<customers::Model>)> = orders::Entity::find()
        .filter(orders::Column::ShopId.eq(shop.id))
        .filter(orders::Column::CancelledAt.is_null())
        .filter(orders::Column::CustomerId.is_not_null())
        .find_also_related(customers::Entity)
        .order_by_desc(orders::Column::ProcessedAt)
        .all(db)
        .await?;
    let mut opened = 0;
    for (demo, (order, customer)) in CASES.iter().zip(recent.iter().step_by(3)) {
        let Some(customer) = customer else { continue };
        let lang = crate::i18n::negotiate(order.customer_locale.as_deref());
        let at = now - Duration::hours(demo.hours_ago) - Duration::minutes(10);
        let (case, new) = Cases::open(
            db,
            NewCase {
                shop_id: shop.id,
                customer_id: Some(customer.id),
                order_id: Some(order.id),
                source: demo.source,
                category: demo.category.to_owned(),
                customer_name: crate::commerce::Commerce::full_name(customer),
                customer_email: customer.email.clone(),
                locale: lang.to_owned(),
                message: demo.message[lang_index(lang)].to_owned(),
                key: format!("demo:{}:{}", demo.source, order.id),
            },
            at,
        )
        .await?;
        if !new {
            continue;
        }
        opened += 1;
        let severity = Severity::suggested(demo.category);
        Cases::set_severity(
            db,
            &case,
            severity,
            "demo@flywheel",
            at + Duration::minutes(30),
        )
        .await
        .map_err(|e| DbErr::Custom(e.to_string()))?;
        if let Some(reply) = demo.reply {
            let replied = at + Duration::minutes(40 + demo.hours_ago * 3);
            Cases::reply(
                db,
                &shop,
                &case,
                "demo@flywheel",
                reply[lang_index(lang)],
                None,
                "demo",
                replied,
            )
            .await
            .map_err(|e| DbErr::Custom(e.to_string()))?;
            if demo.resolved {
                let case = Cases::find(db, shop.id, case.id).await?.unwrap_or(case);
                Cases::resolve(db, &case, "demo@flywheel", replied + Duration::hours(2))
                    .await
                    .map_err(|e| DbErr::Custom(e.to_string()))?;
            }
        }
    }
    Ok(opened)
}
