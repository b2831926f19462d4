//! Rendered pages as the preview keeps them in memory: LZ4-compressed, unpacked when a
//! browser asks for one. HTML shrinks to about a third, and packing a page takes
//! microseconds, so a large site's preview holds far less without slowing a rebuild. This
//! module knows nothing of paths or signatures.

use std::sync::Arc;

/// One page's bytes, compressed; cloning shares them.
#[derive(Clone)]
pub struct Packed(Arc<[u8]>);

impl Packed {
    pub fn new(bytes: &[u8]) -> Packed {
        Packed(lz4_flex::compress_prepend_size(bytes).into())
    }

    /// The page's bytes again.
    pub fn unpack(&self) -> Vec<u8> {
        // Only `new` makes a `Packed`, so the data is always well formed.
        lz4_flex::decompress_size_prepended(&self.0).unwrap_or_default()
    }

    /// Whether `other` is this very page, not rendered again since.
    pub fn same(&self, other: &Packed) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Bytes held in memory.
    pub fn packed_len(&self) -> usize {
        self.0.len()
    }
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Packed({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_unpack_to_what_was_packed_in_less_memory() {
        let page = "<li><a href=\"/releases/2025-01/催化剂/\">催化剂 catalyst</a></li>\n"
            .repeat(400)
            .into_bytes();
        let packed = Packed::new(&page);
        assert_eq!(packed.unpack(), page);
        assert!(packed.same(&packed.clone()));
        assert!(!packed.same(&Packed::new(&page)));
        assert!(
            packed.packed_len() * 4 < page.len(),
            "{}",
            packed.packed_len()
        );
        assert_eq!(Packed::new(b"").unpack(), b"");
        let odd: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
        assert_eq!(Packed::new(&odd).unpack(), odd);
    }
}
