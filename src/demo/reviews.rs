//! The demo shop's reviews: verified buyers of six products writing in their
//! own language (English, Italian, French), a third of them with photos, a
//! few merchant replies, a featured review per product, and a handful held
//! for moderation so the queue has work in it. Photos go through the same
//! processing as a shopper's upload and into the same media store.
use super::seed::{DEMO_SHOP, PRODUCTS};
use crate::media::{MediaStore, PhotoLimits};
use crate::reviews::policy::ReviewPolicy;
use crate::reviews::{PENDING, PUBLISHED, summary};
use crate::shopify::ShopDomain;
use crate::shops::Shops;
use chrono::{DateTime, Duration, Utc};
use entity::{customers, order_line_items, orders, review_photos, reviews};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};

#[derive(Debug, thiserror::Error)]
pub enum DemoReviewsError {
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error("demo photo: {0}")]
    Media(String),
}

/// (rating, title, body) per language.
type Line = (i16, &'static str, &'static str);

const EN: &[Line] = &[
    (
        5,
        "Exactly as pictured",
        "Arrived a day inside the promised window and looks just like the photos. Sturdy, well finished, no smell.",
    ),
    (
        5,
        "Better than expected",
        "I was worried about ordering from abroad but the tracking worked and the quality is honestly better than the shop down the road.",
    ),
    (
        4,
        "Good, slow-ish shipping",
        "Took eleven days, which is what they said. The product itself is solid and does the job well.",
    ),
    (
        5,
        "Bought a second one",
        "Gave the first one to my sister and ordered another for myself. That says it all.",
    ),
    (
        4,
        "Nice, small quirk",
        "Works well. The instructions could be clearer but support answered my email the same day.",
    ),
    (
        3,
        "Fine for the price",
        "Does what it says. The finish is a little rougher than I hoped, but for the price I can't complain.",
    ),
    (
        5,
        "Great little upgrade",
        "Small thing, big difference on my desk every day. Packaging was simple but nothing was damaged.",
    ),
];
const IT: &[Line] = &[
    (
        5,
        "Identico alle foto",
        "Arrivato entro le date promesse e identico alle foto. Robusto e ben rifinito, nessun odore.",
    ),
    (
        5,
        "Meglio del previsto",
        "Avevo qualche dubbio a ordinare dall'estero, ma il tracciamento funzionava e la qualità è ottima.",
    ),
    (
        4,
        "Buono, spedizione un po' lenta",
        "Ci sono voluti undici giorni, come indicato. Il prodotto è solido e fa bene il suo lavoro.",
    ),
    (
        5,
        "Ne ho preso un secondo",
        "Il primo l'ho regalato a mia sorella e ne ho ordinato un altro per me. Dice tutto.",
    ),
    (
        4,
        "Bello, un piccolo difetto",
        "Funziona bene. Le istruzioni potrebbero essere più chiare, ma l'assistenza ha risposto in giornata.",
    ),
    (
        5,
        "Piccolo ma utilissimo",
        "Una cosa piccola che fa una grande differenza ogni giorno. Imballaggio semplice ma tutto integro.",
    ),
];
const FR: &[Line] = &[
    (
        5,
        "Conforme aux photos",
        "Arrivé dans les délais annoncés et exactement comme sur les photos. Solide, bien fini, aucune odeur.",
    ),
    (
        4,
        "Bien, livraison un peu longue",
        "Onze jours, comme annoncé. Le produit est solide et fait très bien son travail.",
    ),
    (
        5,
        "J'en ai racheté un",
        "J'ai offert le premier à ma sœur et j'en ai recommandé un pour moi. Tout est dit.",
    ),
    (
        5,
        "Mieux que prévu",
        "J'hésitais à commander à l'étranger, mais le suivi a fonctionné et la qualité est vraiment bonne.",
    ),
    (
        3,
        "Correct pour le prix",
        "Fait ce qui est annoncé. La finition est un peu moins soignée que prévu, mais pour ce prix ça va.",
    ),
];

/// Held for the merchant: one low rating, one with a link.
const HELD: &[(&str, Line, &str)] = &[
    (
        "en",
        (
            2,
            "Smaller than I thought",
            "Smaller than I expected from the photos. Works, but I would have bought the bigger one.",
        ),
        "low_rating",
    ),
    (
        "it",
        (
            5,
            "Ottimo",
            "Ottimo prodotto, lo trovate anche su www.offerte-lampo.example.com a meno",
        ),
        "link",
    ),
    (
        "fr",
        (
            1,
            "Reçu abîmé",
            "Le colis est arrivé abîmé et un coin est cassé. J'attends une réponse.",
        ),
        "low_rating",
    ),
];

const REPLY: [&str; 3] = [
    "Thank you for taking the time to write this: it really helps other shoppers.",
    "Grazie per il tempo che ci hai dedicato: aiuta davvero gli altri clienti.",
    "Merci d'avoir pris le temps d'écrire cet avis : il aide vraiment les autres clients.",
];

/// Products that have reviews, and how many each.
const REVIEWED: [(usize, usize); 6] = [(7, 18), (2, 14), (0, 11), (5, 9), (4, 7), (1, 6)];

/// Seeds the reviews once (nothing when the demo shop already has some);
/// returns how many were written.
pub async fn seed_reviews(
    db: &DatabaseConnection,
    media: &MediaStore,
    now: DateTime<Utc>,
) -> Result<u64, DemoReviewsError> {
    let Some(shop) = Shops::find(db, &ShopDomain::from_stored(DEMO_SHOP.to_owned())).await? else {
        return Ok(0);
    };
    let existing = reviews::Entity::find()
        .filter(reviews::Column::ShopId.eq(shop.id))
        .count(db)
        .await?;
    if existing > 0 {
        return Ok(0);
    }
    let policy = ReviewPolicy::default();
    let mut rng = StdRng::seed_from_u64(5);
    let mut written = 0u64;
    let txn = db.begin().await?;
    for (rank, (product_index, wanted)) in REVIEWED.iter().enumerate() {
        let product = &PRODUCTS[*product_index];
        // Buyers of the product, oldest orders first, one review per order.
        let bought = order_line_items::Entity::find()
            .filter(order_line_items::Column::ShopId.eq(shop.id))
            .filter(order_line_items::Column::ProductId.eq(product.id))
            .order_by_asc(order_line_items::Column::Id)
            .find_also_related(orders::Entity)
            .all(&txn)
            .await?;
        let mut count = 0;
        let mut reviewed_orders = std::collections::HashSet::new();
        for (item, order) in bought {
            if count >= *wanted {
                break;
            }
            // One review per order, even when the product is on two of its lines.
            let Some(order) = order.filter(|o| o.cancelled_at.is_none()) else {
                continue;
            };
            if !reviewed_orders.insert(order.id) {
                continue;
            }
            let Some(placed) = order.platform_created_at else {
                continue;
            };
            let published = placed + Duration::days(rng.gen_range(12..24));
            if published > now - Duration::days(1) {
                continue;
            }
            let customer = match order.customer_id {
                Some(id) => customers::Entity::find_by_id(id).one(&txn).await?,
                None => None,
            };
            let lang = order.customer_locale.as_deref().unwrap_or("en");
            let (lines, reply) = match lang {
                "it" => (IT, REPLY[1]),
                "fr" => (FR, REPLY[2]),
                _ => (EN, REPLY[0]),
            };
            let (rating, title, body) = lines[(count + rank) % lines.len()];
            let name = customer
                .as_ref()
                .map(|c| {
                    format!(
                        "{} {}",
                        c.first_name.as_deref().unwrap_or_default(),
                        c.last_name.as_deref().unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            let with_photo = count % 3 == 0;
            let review = reviews::ActiveModel {
                shop_id: Set(shop.id),
                shopify_product_id: Set(product.id),
                shopify_variant_id: Set(item.variant_id),
                product_title: Set(product.title.to_owned()),
                customer_id: Set(order.customer_id),
                order_id: Set(Some(order.id)),
                rating: Set(rating),
                title: Set(title.to_owned()),
                body: Set(body.to_owned()),
                author_name: Set(policy.author_name(&name)),
                email: Set(customer.as_ref().and_then(|c| c.email.clone())),
                locale: Set(lang.to_owned()),
                verified: Set(true),
                status: Set(PUBLISHED.to_owned()),
                featured: Set(count == 1),
                helpful_votes: Set(rng.gen_range(0..14)),
                photo_count: Set(i32::from(with_photo)),
                reply: Set((count % 5 == 2).then(|| reply.to_owned())),
                replied_at: Set((count % 5 == 2).then_some(published + Duration::hours(5))),
                created_at: Set(published),
                published_at: Set(Some(published)),
                updated_at: Set(published),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            if with_photo {
                let seed = product.id as u64 * 31 + count as u64;
                let shot = crate::media::photos::sample_photo(seed, 900, 900);
                let photo = crate::media::process(&shot, &PhotoLimits::default())
                    .map_err(|e| DemoReviewsError::Media(e.to_string()))?;
                let key = format!("reviews/{}/demo-{}-{count}", shop.id, product.id);
                let (display_key, thumb_key) = (format!("{key}.jpg"), format!("{key}-thumb.jpg"));
                let bytes = photo.display.len() as i64;
                media
                    .put(&display_key, photo.display, "image/jpeg")
                    .await
                    .map_err(|e| DemoReviewsError::Media(e.to_string()))?;
                media
                    .put(&thumb_key, photo.thumb, "image/jpeg")
                    .await
                    .map_err(|e| DemoReviewsError::Media(e.to_string()))?;
                review_photos::ActiveModel {
                    shop_id: Set(shop.id),
                    review_id: Set(review.id),
                    position: Set(0),
                    display_key: Set(display_key),
                    thumb_key: Set(thumb_key),
                    width: Set(photo.width as i32),
                    height: Set(photo.height as i32),
                    thumb_width: Set(photo.thumb_width as i32),
                    thumb_height: Set(photo.thumb_height as i32),
                    bytes: Set(bytes),
                    created_at: Set(published),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
            }
            count += 1;
            written += 1;
        }
        summary::refresh(&txn, shop.id, product.id, now).await?;
    }
    // A few waiting in the moderation queue, unverified.
    for (i, (lang, (rating, title, body), reason)) in HELD.iter().enumerate() {
        let product = &PRODUCTS[REVIEWED[i].0];
        let at = now - Duration::hours(6 + 7 * i as i64);
        reviews::ActiveModel {
            shop_id: Set(shop.id),
            shopify_product_id: Set(product.id),
            product_title: Set(product.title.to_owned()),
            rating: Set(*rating),
            title: Set((*title).to_owned()),
            body: Set((*body).to_owned()),
            author_name: Set(policy.author_name(["Sam Porter", "Elena Bassi", "Nina Roux"][i])),
            locale: Set((*lang).to_owned()),
            verified: Set(false),
            status: Set(PENDING.to_owned()),
            hold_reasons: Set((*reason).to_owned()),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        written += 1;
    }
    txn.commit().await?;
    Ok(written)
}
