//! Reads a request body up to a limit, answering 413 — not a dropped
//! connection — when it is larger.
use super::ApiError;
use actix_web::web::{Bytes, BytesMut, Payload};
use futures_util::StreamExt;

/// Beyond this much we stop reading and let the connection close.
const DRAIN_CAP: usize = 64 * 1024 * 1024;

pub async fn read_limited(mut payload: Payload, limit: usize) -> Result<Bytes, ApiError> {
    let mut body = BytesMut::new();
    let mut seen = 0usize;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("unreadable_body", e.to_string()))?;
        seen += chunk.len();
        if seen > limit {
            // Keep reading (and discarding) so the client receives our 413 answer.
            if seen > DRAIN_CAP {
                break;
            }
            continue;
        }
        body.extend_from_slice(&chunk);
    }
    if seen > limit {
        return Err(ApiError::too_large(limit));
    }
    Ok(body.freeze())
}
