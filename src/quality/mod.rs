//! Quality: how right a grouping is, measured against answers people made by eye.
//!
//! The team labels a corpus by hand ([`labels`]: who each face is, which files are the same ad)
//! and these scorers compare a [`crate::grouping::Grouping`] with those answers:
//! - [`creators`] — pairwise precision and recall of "same creator" over face tracks and over
//!   videos, and how many table rows are not one real person;
//! - [`videos`] — pairwise precision and recall of "same ad" over files.
//!
//! Thresholds are chosen on one half of the labelled files and reported on the other half too
//! ([`Half`]), so the figures are not fitted to the data they are reported on.

pub mod corpus;
pub mod creators;
pub mod labels;
pub mod videos;

use serde::Serialize;

/// Pairwise precision and recall: over pairs of items, "predicted together" against "truly
/// together".
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct PairScore {
    /// Pairs predicted together that truly are.
    pub true_positives: usize,
    /// Pairs predicted together.
    pub predicted: usize,
    /// Pairs truly together.
    pub actual: usize,
}

impl PairScore {
    /// Counts the pairs among `items`, each with its predicted and its true group (None: in no
    /// group, so never paired).
    pub fn of<P: PartialEq, T: PartialEq>(items: &[(Option<P>, Option<T>)]) -> Self {
        let mut score = Self::default();
        for (i, (pa, ta)) in items.iter().enumerate() {
            for (pb, tb) in &items[i + 1..] {
                let predicted = pa.is_some() && pa == pb;
                let actual = ta.is_some() && ta == tb;
                score.predicted += usize::from(predicted);
                score.actual += usize::from(actual);
                score.true_positives += usize::from(predicted && actual);
            }
        }
        score
    }

    /// 1 when nothing was predicted together (nothing wrong was said).
    pub fn precision(&self) -> f64 {
        if self.predicted == 0 { 1.0 } else { self.true_positives as f64 / self.predicted as f64 }
    }

    /// 1 when nothing truly belongs together.
    pub fn recall(&self) -> f64 {
        if self.actual == 0 { 1.0 } else { self.true_positives as f64 / self.actual as f64 }
    }

    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
    }
}

impl std::fmt::Display for PairScore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "precision {:.2} ({}/{}), recall {:.2} ({}/{})",
            self.precision(),
            self.true_positives,
            self.predicted,
            self.recall(),
            self.true_positives,
            self.actual
        )
    }
}

/// Which half of the labelled files: thresholds are chosen on [`Half::Tuning`] and reported on
/// [`Half::HeldOut`] too. The split is fixed before looking at any score: files whose number
/// (`c07` → 7) is even tune, odd ones are held out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Half {
    Tuning,
    HeldOut,
}

impl Half {
    /// The half a corpus file (`c07.mp4`, `c07`) belongs to; None for a name without a number.
    pub fn of(file: &str) -> Option<Half> {
        let digits: String = labels::file_stem(file).chars().filter(char::is_ascii_digit).collect();
        let n: u32 = digits.parse().ok()?;
        Some(if n % 2 == 0 { Half::Tuning } else { Half::HeldOut })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_counted_by_hand() {
        // Predicted {a, b, c}, {d}; true {a, b}, {c, d}: predicted pairs ab, ac, bc; true ab, cd.
        let items = [(Some(1), Some("x")), (Some(1), Some("x")), (Some(1), Some("y")), (Some(2), Some("y"))];
        let s = PairScore::of(&items);
        assert_eq!((s.true_positives, s.predicted, s.actual), (1, 3, 2));
        assert!((s.precision() - 1.0 / 3.0).abs() < 1e-12);
        assert!((s.recall() - 0.5).abs() < 1e-12);
        // Items in no group are never paired.
        let none: [(Option<u32>, Option<&str>); 2] = [(None, None), (None, None)];
        assert_eq!(PairScore::of(&none), PairScore::default());
        assert_eq!((PairScore::default().precision(), PairScore::default().recall()), (1.0, 1.0));
    }

    #[test]
    fn halves_split_by_the_file_number() {
        assert_eq!(Half::of("c00.mp4"), Some(Half::Tuning));
        assert_eq!(Half::of("c07"), Some(Half::HeldOut));
        assert_eq!(Half::of("clip.mp4"), None);
    }
}
