//! `--shard I/N`: the I-th of N interleaved slices of a sweep's runs.

use crate::error::{Error, Result};

/// Slice I (1-based) of N: runs whose index ≡ I − 1 (mod N).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// I, from 1 to N.
    pub index: usize,
    /// N ≥ 1.
    pub count: usize,
}

impl Shard {
    /// Parses `I/N` with 1 ≤ I ≤ N.
    pub fn parse(text: &str) -> Result<Shard> {
        let bad = || {
            Error::Input(format!(
                "--shard {text:?}: expected I/N with 1 <= I <= N (e.g. 2/8 is the second of eight slices)"
            ))
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The shard of a Slurm job-array task, when run as one:
    /// I = SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN + 1 (MIN defaults to 1),
    /// N = SLURM_ARRAY_TASK_COUNT.
    pub fn from_slurm() -> Result<Option<Shard>> {
        let var = |name: &str| std::env::var(name).ok();
        let (Some(id), Some(count)) = (var("SLURM_ARRAY_TASK_ID"), var("SLURM_ARRAY_TASK_COUNT"))
        else {
            return Ok(None);
        };
        let parse = |name: &str, v: &str| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| Error::Input(format!("{name}={v:?}: expected an integer")))
        };
        let min = match var("SLURM_ARRAY_TASK_MIN") {
            Some(m) => parse("SLURM_ARRAY_TASK_MIN", &m)?,
            None => 1,
        };
        let index = parse("SLURM_ARRAY_TASK_ID", &id)? - min + 1;
        Shard::parse(&format!(
            "{index}/{}",
            parse("SLURM_ARRAY_TASK_COUNT", &count)?
        ))
        .map(Some)
    }

    /// True when run `index` belongs to this shard.
    pub fn contains(&self, run: usize) -> bool {
        run % self.count == self.index - 1
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(Shard::parse("2/3").unwrap(), Shard { index: 2, count: 3 });
        for bad in ["4/3", "0/3", "1/0", "x/3", "3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let s = Shard::parse("2/3").unwrap();
        assert!(s.contains(1) && s.contains(4) && !s.contains(0));
    }
}
