//! Video containers IPS accepts, recognised by their first bytes (servers often mislabel them).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Container {
    /// ISO base media: MP4, MOV, M4V, 3GP.
    IsoBmff,
    /// Matroska or WebM (EBML header).
    Matroska,
}

/// Box types that can open a QuickTime file (old MOVs start with these, not `ftyp`).
const QUICKTIME_FIRST_BOXES: [&[u8; 4]; 5] = [b"moov", b"mdat", b"free", b"wide", b"skip"];

impl Container {
    /// Bytes needed to decide.
    pub const SNIFF_LEN: usize = 12;

    pub fn sniff(head: &[u8]) -> Option<Self> {
        if head.len() >= 8 {
            let kind = &head[4..8];
            if kind == b"ftyp" || QUICKTIME_FIRST_BOXES.iter().any(|b| kind == *b) {
                return Some(Container::IsoBmff);
            }
        }
        if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
            return Some(Container::Matroska);
        }
        None
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Container::IsoBmff => "mp4",
            Container::Matroska => "mkv",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Container::IsoBmff, Container::Matroska].into_iter().find(|c| c.as_str() == s)
    }

    /// File extension in the cache: OpenCV/FFmpeg probe the content, the extension only helps
    /// people looking at the directory.
    pub fn extension(self) -> &'static str {
        self.as_str()
    }
}

/// Does this start like an HTML document (an error page served with status 200)?
pub fn looks_like_html(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&head[..head.len().min(512)]).trim_start().to_ascii_lowercase();
    text.starts_with("<!doctype html")
        || text.starts_with("<html")
        || text.starts_with("<head")
        || text.starts_with("<?xml")
}
