//! The Admin GraphQL client against the fake platform: throttling, retries, typed errors.
use crate::helpers::*;
use flywheel::shopify::admin_api::{AdminApi, AdminApiError};
use serde_json::{Value, json};

fn client(fake: &FakePlatform) -> AdminApi {
    AdminApi::new(
        reqwest::Client::new(),
        Some(url::Url::parse(&fake.url).expect("fake url")),
        "2026-10".into(),
        fast_retries(),
    )
}

const QUERY: &str = "query { shop { name } }";

#[tokio::test]
async fn throttled_queries_wait_for_the_bucket_and_succeed() {
    let fake = FakePlatform::start().await;
    fake.script([GraphqlReply::Throttled, GraphqlReply::TooManyRequests]);
    let api = client(&fake);
    let data: Value = api
        .graphql(&shop("busy"), "shpat_x", QUERY, json!({}))
        .await
        .expect("succeeds after waiting");
    assert_eq!(data["shop"]["name"], "Test Boutique");
    assert_eq!(fake.state.lock().expect("fake").graphql_calls, 3);
    let cost = api.last_cost(&shop("busy")).expect("cost recorded");
    assert_eq!(cost.throttle_status.currently_available, 1990.0);
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let fake = FakePlatform::start().await;
    fake.script([GraphqlReply::Status(502), GraphqlReply::Status(503)]);
    let api = client(&fake);
    let ok: Result<Value, _> = api
        .graphql(&shop("flaky"), "shpat_x", QUERY, json!({}))
        .await;
    assert!(ok.is_ok());

    fake.script((0..4).map(|_| GraphqlReply::Status(500)));
    let err = api
        .graphql::<Value>(&shop("down"), "shpat_x", QUERY, json!({}))
        .await
        .expect_err("gives up");
    assert!(
        matches!(
            err,
            AdminApiError::Server {
                status: 500,
                attempts: 4
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn refused_tokens_and_query_errors_are_typed() {
    let fake = FakePlatform::start().await;
    fake.script([GraphqlReply::Status(401)]);
    let api = client(&fake);
    let err = api
        .graphql::<Value>(&shop("gone"), "shpat_x", QUERY, json!({}))
        .await
        .expect_err("401");
    assert!(matches!(err, AdminApiError::Unauthorized(401)));
    assert_eq!(
        fake.state.lock().expect("fake").graphql_calls,
        1,
        "no retry on 401"
    );

    fake.script([GraphqlReply::Json(
        json!({"errors": [{"message": "Field 'nope' doesn't exist on type 'Shop'"}]}),
    )]);
    let err = api
        .graphql::<Value>(&shop("typo"), "shpat_x", QUERY, json!({}))
        .await
        .expect_err("query error");
    assert!(
        matches!(&err, AdminApiError::Query(m) if m.contains("nope")),
        "{err:?}"
    );

    let err = api
        .graphql::<Value>(&shop("x"), "shpat_x", QUERY, json!({}))
        .await
        .map(|_| ())
        .err();
    assert!(err.is_none());
    fake.script((0..4).map(|_| GraphqlReply::Throttled));
    let err = api
        .graphql::<Value>(&shop("hot"), "shpat_x", QUERY, json!({}))
        .await
        .expect_err("throttled");
    assert!(matches!(err, AdminApiError::Throttled(4)), "{err:?}");
}
