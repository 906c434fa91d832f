//! Bytes to text: byte-order marks, UTF-16, legacy encodings, and files that are not text at all.

use super::IngestError;

pub(super) struct Decoded {
    pub text: String,
    pub notices: Vec<String>,
}

/// Decodes an uploaded file to text. UTF-8 (with or without BOM) and UTF-16 with BOM are read as
/// such; other bytes are most often a spreadsheet exported as Windows-1252, which is what we
/// decode them as, telling the user so rather than replacing characters silently.
pub(super) fn decode(bytes: &[u8]) -> Result<Decoded, IngestError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(IngestError::Empty);
    }
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let body = &bytes[bom_len..];
        if encoding == encoding_rs::UTF_8 {
            return decode_utf8(body);
        }
        let (text, _, had_errors) = encoding.decode(bytes);
        let mut notices = vec![format!("The file is {}; it was read as such.", encoding.name())];
        if had_errors {
            notices.push("Some bytes were not valid text and show as \u{FFFD}.".to_string());
        }
        return Ok(Decoded { text: text.into_owned(), notices });
    }
    if bytes.contains(&0) {
        return Err(IngestError::Binary);
    }
    decode_utf8(bytes)
}

fn decode_utf8(bytes: &[u8]) -> Result<Decoded, IngestError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Decoded { text: text.to_string(), notices: Vec::new() }),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            if looks_binary(&text) {
                return Err(IngestError::Binary);
            }
            Ok(Decoded {
                text: text.into_owned(),
                notices: vec![
                    "The file is not UTF-8; it was read as Windows-1252 (Excel's usual CSV encoding). \
                     If names look wrong, export the CSV as UTF-8."
                        .to_string(),
                ],
            })
        }
    }
}

/// Control characters other than tab and line breaks are rare in real CSV text and common in
/// binary files (images, archives) that happen to be uploaded by mistake.
fn looks_binary(text: &str) -> bool {
    let controls = text.chars().filter(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')).count();
    controls * 100 > text.chars().count().max(1)
}
