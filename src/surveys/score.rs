//! The survey questions and their formulas, pure.
use serde::Serialize;

/// What an email asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Question {
    /// Did everything go well? 1 yes, 0 something went wrong.
    Checkin,
    /// How likely to recommend us, 0–10.
    Nps,
    /// How satisfied with the order, 1–5.
    Csat,
}

impl Question {
    pub fn key(self) -> &'static str {
        match self {
            Question::Checkin => "checkin",
            Question::Nps => "nps",
            Question::Csat => "csat",
        }
    }

    pub fn parse(key: &str) -> Option<Question> {
        [Question::Checkin, Question::Nps, Question::Csat]
            .into_iter()
            .find(|q| q.key() == key)
    }

    /// The answer as stored, when `raw` is one this question accepts.
    pub fn score(self, raw: &str) -> Option<i16> {
        match self {
            Question::Checkin => match raw {
                "yes" => Some(1),
                "no" => Some(0),
                _ => None,
            },
            Question::Nps => raw.parse().ok().filter(|n| (0..=10).contains(n)),
            Question::Csat => raw.parse().ok().filter(|n| (1..=5).contains(n)),
        }
    }
}

/// Net Promoter Score: % promoters (9–10) − % detractors (0–6), −100…100.
pub fn nps(scores: &[i16]) -> Option<f64> {
    if scores.is_empty() {
        return None;
    }
    let n = scores.len() as f64;
    let promoters = scores.iter().filter(|s| **s >= 9).count() as f64;
    let detractors = scores.iter().filter(|s| **s <= 6).count() as f64;
    Some((promoters - detractors) / n * 100.0)
}

/// Customer satisfaction: % of answers that are 4 or 5 out of 5.
pub fn csat(scores: &[i16]) -> Option<f64> {
    if scores.is_empty() {
        return None;
    }
    let happy = scores.iter().filter(|s| **s >= 4).count() as f64;
    Some(happy / scores.len() as f64 * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nps_counts_promoters_minus_detractors() {
        // 3 promoters, 1 passive, 2 detractors of 6: (3 − 2) / 6 = 16.7.
        let score = nps(&[10, 9, 9, 8, 6, 0]).expect("score");
        assert!((score - 16.666).abs() < 0.01, "{score}");
        assert_eq!(nps(&[10, 10]), Some(100.0));
        assert_eq!(nps(&[0, 6]), Some(-100.0));
        assert_eq!(nps(&[7, 8]), Some(0.0));
        assert_eq!(nps(&[]), None);
    }

    #[test]
    fn csat_is_the_share_of_fours_and_fives() {
        assert_eq!(csat(&[5, 4, 3, 1]), Some(50.0));
        assert_eq!(csat(&[]), None);
    }

    #[test]
    fn answers_are_checked_against_their_scale() {
        assert_eq!(Question::Nps.score("10"), Some(10));
        assert_eq!(Question::Nps.score("11"), None);
        assert_eq!(Question::Csat.score("0"), None);
        assert_eq!(Question::Csat.score("5"), Some(5));
        assert_eq!(Question::Checkin.score("no"), Some(0));
        assert_eq!(Question::Checkin.score("maybe"), None);
        assert_eq!(Question::parse("csat"), Some(Question::Csat));
    }
}
