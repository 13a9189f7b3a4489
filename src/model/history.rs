//! How an agent's recent rewards are packed into one `u64`.
//!
//! Each reward index takes `bits = ⌈log₂ M⌉` bits (at least 1); field j
//! holds the index paid j periods ago, field 0 this period's. With M ≤ 256
//! rewards that keeps at least 8 periods, and the low `bits·m` bits are the
//! last m rewards — directly an index into a departure lookup table.

/// Bit layout of packed reward histories for a reward set of a given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryLayout {
    bits: u32,
}

impl HistoryLayout {
    /// The layout for `rewards` rewards.
    pub fn for_rewards(rewards: usize) -> Self {
        let bits = usize::BITS - rewards.saturating_sub(1).leading_zeros();
        HistoryLayout { bits: bits.max(1) }
    }

    /// Bits per reward.
    pub fn bits(self) -> u32 {
        self.bits
    }

    /// Periods a `u64` holds.
    pub fn capacity(self) -> usize {
        (64 / self.bits) as usize
    }

    /// The history after paying reward index `reward` this period.
    #[inline]
    pub fn push(self, history: u64, reward: u8) -> u64 {
        (history << self.bits) | reward as u64
    }

    /// Reward index paid `ago` periods before the newest entry.
    #[inline]
    pub fn get(self, history: u64, ago: usize) -> usize {
        ((history >> (self.bits as usize * ago)) & ((1u64 << self.bits) - 1)) as usize
    }

    /// The newest `periods` entries as one integer key.
    #[inline]
    pub fn key(self, history: u64, periods: usize) -> usize {
        let width = self.bits as usize * periods;
        if width >= 64 {
            history as usize
        } else {
            (history & ((1u64 << width) - 1)) as usize
        }
    }

    /// Packs reward indices, most recent first.
    pub fn pack(self, recent_first: &[usize]) -> u64 {
        recent_first
            .iter()
            .rev()
            .fold(0u64, |h, &r| (h << self.bits) | r as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_per_reward() {
        assert_eq!(HistoryLayout::for_rewards(1).bits(), 1);
        assert_eq!(HistoryLayout::for_rewards(2).bits(), 1);
        assert_eq!(HistoryLayout::for_rewards(4).bits(), 2);
        assert_eq!(HistoryLayout::for_rewards(5).bits(), 3);
        assert_eq!(HistoryLayout::for_rewards(255).bits(), 8);
        assert!(HistoryLayout::for_rewards(255).capacity() >= 8);
    }

    #[test]
    fn push_get_pack_agree() {
        let l = HistoryLayout::for_rewards(5);
        let h = l.push(l.push(l.push(0, 4), 1), 3);
        assert_eq!((l.get(h, 0), l.get(h, 1), l.get(h, 2)), (3, 1, 4));
        assert_eq!(l.pack(&[3, 1, 4]), h);
        assert_eq!(l.key(h, 2), l.pack(&[3, 1]) as usize);
    }
}
