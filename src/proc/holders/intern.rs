//! Each distinct string kept once, named by a small number. The holders'
//! text table keeps every line until it knows its column widths; nearly
//! all of a line repeats across processes (the same comm, unit, libraries,
//! log files), so a line is kept as a few numbers into this table.
//!
//! The strings sit end to end in one `String`; an open-addressing table of
//! ids (FNV-1a hash, linear probing, at most half full) finds them.

#[derive(Debug, Default)]
pub struct Interner {
    text: String,
    /// Where each string ends in `text`; it starts where the one before ends.
    ends: Vec<usize>,
    /// id + 1 of the string hashed here, 0 for a free slot; a power of two.
    slots: Vec<u32>,
}

/// FNV-1a, 64 bits: short strings, no adversary worth a keyed hash (a
/// local user choosing colliding names only slows their own report).
fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Interner {
    /// The id of `s`, adding it when new.
    pub fn id(&mut self, s: &str) -> u32 {
        if self.ends.len() * 2 >= self.slots.len() {
            self.grow();
        }
        let at = self.find(s);
        if let Some(&slot) = self.slots.get(at)
            && slot != 0
        {
            return slot - 1;
        }
        let id = self.ends.len() as u32;
        self.text.push_str(s);
        self.ends.push(self.text.len());
        if let Some(slot) = self.slots.get_mut(at) {
            *slot = id + 1;
        }
        id
    }

    /// The string of `id` ("" for an id this table never gave).
    pub fn get(&self, id: u32) -> &str {
        let id = id as usize;
        let start = match id.checked_sub(1) {
            Some(before) => self.ends.get(before).copied().unwrap_or(0),
            None => 0,
        };
        let end = self.ends.get(id).copied().unwrap_or(start);
        self.text.get(start..end).unwrap_or_default()
    }

    /// The slot holding `s`, or the free slot where it belongs.
    fn find(&self, s: &str) -> usize {
        let mask = self.slots.len().saturating_sub(1);
        let mut at = hash(s) as usize & mask;
        while let Some(&slot) = self.slots.get(at) {
            if slot == 0 || self.get(slot - 1) == s {
                break;
            }
            at = (at + 1) & mask;
        }
        at
    }

    /// Twice the slots (256 at first), every id placed again.
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(256);
        self.slots = vec![0; size];
        for id in 0..self.ends.len() as u32 {
            let at = self.find(self.get(id));
            if let Some(slot) = self.slots.get_mut(at) {
                *slot = id + 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_share_an_id_and_come_back_intact() {
        let mut t = Interner::default();
        let words: Vec<String> = (0..2000).map(|i| format!("/lib/x{}", i % 700)).collect();
        let ids: Vec<u32> = words.iter().map(|w| t.id(w)).collect();
        for (w, &id) in words.iter().zip(&ids) {
            assert_eq!(t.get(id), w);
        }
        assert_eq!(ids[0], ids[700]);
        assert_ne!(ids[0], ids[1]);
        assert_eq!(t.ends.len(), 700, "each distinct string once");
        assert!(t.slots.len() >= 1400 && t.slots.len().is_power_of_two());
        assert_eq!(t.id(""), 700);
        assert_eq!(t.get(700), "");
        assert_eq!(t.get(9999), "");
    }
}
