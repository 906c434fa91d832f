//! The ranges run settings must lie in, checked in one place for every way settings arrive: the
//! config file (`[pipeline]` in `ips.toml`), the web form that starts a re-run, and the CLI.
//! Each problem names the setting as the config file spells it.

use super::PipelineSettings;

/// Sampled frames per second a run may take.
pub const FRAMES_PER_SECOND: (f64, f64) = (0.1, 5.0);
/// The creator distance (`creators.max_distance`) a run may cut at.
pub const CREATOR_DISTANCE: (f64, f64) = (0.2, 0.8);

/// A setting out of its range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{name} must be a number from {min} to {max}, not {value}")]
pub struct OutOfRange {
    /// The setting as the config file spells it (`frames.per_second`).
    pub name: &'static str,
    pub min: f64,
    pub max: f64,
    pub value: String,
}

impl PipelineSettings {
    /// Every setting out of its range (empty: the settings can run).
    pub fn problems(&self) -> Vec<OutOfRange> {
        let c = &self.creators;
        let s = &self.similarity;
        let share = (0.0, 1.0);
        let checks: [(&'static str, f64, (f64, f64)); 13] = [
            ("frames.per_second", self.frames.per_second, FRAMES_PER_SECOND),
            ("frames.max_side", f64::from(self.frames.max_side), (64.0, 4096.0)),
            ("faces.min_score", as_written(self.faces.min_score), share),
            ("creators.max_distance", as_written(c.max_distance), CREATOR_DISTANCE),
            // Asking only makes sense beyond the cut.
            ("creators.ask_max_distance", as_written(c.ask_max_distance), (as_written(c.max_distance), 2.0)),
            ("creators.min_score", as_written(c.min_score), share),
            ("creators.min_frontalness", as_written(c.min_frontalness), share),
            ("creators.min_face", as_written(c.min_face), share),
            ("similarity.frame_max_distance", as_written(s.frame_max_distance), share),
            ("similarity.same_video_min_share", s.same_video_min_share, share),
            ("similarity.same_video_min_share_longer", s.same_video_min_share_longer, share),
            ("similarity.reframed_min_share", s.reframed_min_share, share),
            ("similarity.body_min_share", s.body_min_share, share),
        ];
        checks
            .into_iter()
            .filter(|(_, value, (min, max))| !(value.is_finite() && (*min..=*max).contains(value)))
            .map(|(name, value, (min, max))| OutOfRange { name, min, max, value: value.to_string() })
            .collect()
    }
}

/// An `f32` setting as the number it was written as (0.05, not 0.05000000074505806): for
/// messages, and for a form's number field, whose step would call the latter invalid.
pub fn as_written(value: f32) -> f64 {
    value.to_string().parse().unwrap_or(f64::NAN)
}

/// `text` read as a number within `range`, for a form field named `name`.
pub fn parse_in_range(name: &'static str, text: &str, (min, max): (f64, f64)) -> Result<f64, OutOfRange> {
    text.trim().parse::<f64>().ok().filter(|v| v.is_finite() && (min..=max).contains(v)).ok_or_else(|| OutOfRange {
        name,
        min,
        max,
        value: format!("'{}'", text.trim()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_in_range() {
        assert_eq!(PipelineSettings::default().problems(), []);
    }

    #[test]
    fn each_setting_out_of_range_is_named() {
        let mut s = PipelineSettings::default();
        s.frames.per_second = 0.0;
        s.creators.max_distance = 0.9;
        s.similarity.frame_max_distance = f32::NAN;
        let names: Vec<&str> = s.problems().iter().map(|p| p.name).collect();
        // 0.9 is also above the asking band's lower end (0.5): both are said.
        assert_eq!(
            names,
            [
                "frames.per_second",
                "creators.max_distance",
                "creators.ask_max_distance",
                "similarity.frame_max_distance"
            ]
        );
        assert_eq!(s.problems()[0].to_string(), "frames.per_second must be a number from 0.1 to 5, not 0");
    }

    #[test]
    fn a_form_value_is_read_within_its_range() {
        assert_eq!(parse_in_range("frames.per_second", " 2 ", FRAMES_PER_SECOND), Ok(2.0));
        let e = parse_in_range("creators.max_distance", "0.1", CREATOR_DISTANCE).unwrap_err();
        assert_eq!(e.to_string(), "creators.max_distance must be a number from 0.2 to 0.8, not '0.1'");
        assert!(parse_in_range("frames.per_second", "NaN", FRAMES_PER_SECOND).is_err());
        assert!(parse_in_range("frames.per_second", "inf", FRAMES_PER_SECOND).is_err());
    }
}
