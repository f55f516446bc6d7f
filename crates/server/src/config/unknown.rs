//! Environment variables that look like settings but are not: a typo, or a
//! setting of another version (the runbook's `kubectl set env
//! HISTORIAN_TIMEOUT=60` must not look applied while doing nothing). Warned
//! about at start-up and by `thermaliq config validate`, with the nearest
//! known name.

use super::table::SETTINGS;

/// Prefixes of this service's settings (and of the runbook's).
const PREFIXES: [&str; 19] = [
    "CALCULATION_",
    "SANKEY_",
    "DATABASE_",
    "CACHE_",
    "HISTORIAN_",
    "ENERGY_METER_",
    "ENERGY_BALANCE_",
    "THERMALIQ_",
    "JOB_",
    "WORKER_",
    "SCHEDULE",
    "GROUP_COMMIT_",
    "READINGS_",
    "MAX_DATA_",
    "MAX_CONCURRENT_",
    "MAX_INTERPOLATION_",
    "ENABLE_",
    "INCLUDE_ENERGY",
    "ALLOW_NEGATIVE",
];

/// A variable that looks like a setting and is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSetting {
    pub name: String,
    /// The closest setting name, when one is close enough to be a likely typo.
    pub nearest: Option<&'static str>,
}

impl std::fmt::Display for UnknownSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is not a setting of this version and has no effect",
            self.name
        )?;
        match self.nearest {
            Some(near) => write!(f, "; did you mean {near}?"),
            None => write!(f, " (see `thermaliq config settings`)"),
        }
    }
}

/// The variables among `names` that look like settings and are not.
pub fn unknown_settings<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<UnknownSetting> {
    let mut unknown: Vec<UnknownSetting> = names
        .into_iter()
        .filter(|name| PREFIXES.iter().any(|p| name.starts_with(p)))
        .filter(|name| *name != "THERMALIQ_CONFIG" && super::setting(name).is_none())
        .map(|name| UnknownSetting {
            name: name.to_owned(),
            nearest: nearest(name),
        })
        .collect();
    unknown.sort_by(|a, b| a.name.cmp(&b.name));
    unknown.dedup();
    unknown
}

/// The known name within a third of the length in edits (Levenshtein).
fn nearest(name: &str) -> Option<&'static str> {
    let limit = (name.len() / 3).max(2);
    SETTINGS
        .iter()
        .map(|s| (edit_distance(name, s.name), s.name))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, n)| n)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                previous
            } else {
                1 + previous.min(row[j]).min(row[j + 1])
            };
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes_are_named_with_the_nearest_setting() {
        let found = unknown_settings([
            "CALCULATION_TIMOUT",
            "CALCULATION_TIMEOUT",
            "HISTORIAN_TIMEOUT",
            "PATH",
            "HOME",
            "THERMALIQ_CONFIG",
            "SANKEY_MAX_NODE",
        ]);
        let names: Vec<&str> = found.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(
            names,
            ["CALCULATION_TIMOUT", "HISTORIAN_TIMEOUT", "SANKEY_MAX_NODE"]
        );
        assert_eq!(found[0].nearest, Some("CALCULATION_TIMEOUT"));
        assert_eq!(found[2].nearest, Some("SANKEY_MAX_NODES"));
        assert!(
            found[1].to_string().contains("has no effect"),
            "{}",
            found[1]
        );
    }

    #[test]
    fn edit_distance_is_levenshtein() {
        // The textbook pair: kitten -> sitting is 3 edits.
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
