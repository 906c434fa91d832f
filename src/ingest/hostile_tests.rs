//! Hostile spreadsheets: 1,200 malformed inputs made from a fixed seed — binary junk, broken
//! quoting, wrong encodings, huge cells, formula injection, absurd numbers, thousands of columns,
//! damaged workbooks — and one of a million rows. None may panic; each gives rows (every problem
//! row kept with a reason) or one clear error.

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::*;

/// xorshift64*: deterministic, so a failure names an input that can be made again.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const URLS: &[&str] = &[
    "https://cdn.example.com/a.mp4",
    "http://x/y.mp4",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "=HYPERLINK(\"http://evil.example\",\"click\")",
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "",
    "   ",
    "<img src=x onerror=alert(1)>",
    "file:///etc/passwd",
    "ftp://example.com/a.mp4",
    "https://例え.jp/動画.mp4",
    "https://cdn.example.com/\u{0}nul.mp4",
];

const NUMBERS: &[&str] = &[
    "1.5",
    "0",
    "-0",
    "-1",
    "NaN",
    "inf",
    "-inf",
    "1e309",
    "1e-400",
    "=1+1",
    "+1",
    "@1",
    "1,5",
    "1.2.3",
    "$3",
    "99999999999999999999999999999999999999",
    "0x10",
    "",
    "٣",
    "1 000",
    "#DIV/0!",
    "TRUE",
];

/// One malformed input, as bytes, of kind `k`.
fn hostile_input(rng: &mut Rng, k: usize) -> Vec<u8> {
    match k % 12 {
        // Binary junk.
        0 => (0..rng.below(4096)).map(|_| rng.next() as u8).collect(),
        // A plausible CSV with hostile cells.
        1 => {
            let mut csv = String::from("Performance,Video URL\n");
            for _ in 0..rng.below(40) {
                csv.push_str(&format!("{},{}\n", rng.pick(NUMBERS), rng.pick(URLS)));
            }
            csv.into_bytes()
        }
        // Broken quoting and separators.
        2 => {
            let pieces = ["\"", "\"\"", ",", ";", "\t", "\r", "\n", "\r\n", "a", "1.0", "https://a.b/c.mp4", "\"x,y\""];
            let mut csv = String::from("Performance,\"Video URL\n");
            for _ in 0..rng.below(300) {
                csv.push_str(pieces[rng.below(pieces.len())]);
            }
            csv.into_bytes()
        }
        // Wrong encodings: UTF-16 with and without BOM, Latin-1, invalid UTF-8.
        3 => {
            let text = format!("Performance,Video URL\n{},https://cdn.example.com/caf\u{e9}.mp4\n", rng.pick(NUMBERS));
            match rng.below(4) {
                0 => [&[0xFF, 0xFE][..], &text.encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<_>>()].concat(),
                1 => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
                2 => text.chars().map(|c| if (c as u32) < 256 { c as u8 } else { b'?' }).collect(),
                _ => [text.as_bytes(), &[0xC3, 0x28, 0xA0, 0xA1, 0xF0, 0x28, 0x8C, 0xBC]].concat(),
            }
        }
        // A huge cell (up to 2 MB) in either column.
        4 => {
            let huge = "A".repeat(1 + rng.below(2 * 1024 * 1024));
            if rng.below(2) == 0 {
                format!("Performance,Video URL\n1.0,https://cdn.example.com/{huge}.mp4\n").into_bytes()
            } else {
                format!("Performance,Video URL\n{huge},https://cdn.example.com/a.mp4\n").into_bytes()
            }
        }
        // Headers only, no header, duplicated headers, empty lines.
        5 => {
            let variants = [
                "Performance,Video URL\n",
                "1.0,https://cdn.example.com/a.mp4\n",
                "Performance,Performance,Video URL,Video URL\n1,2,https://a.b/c.mp4,https://a.b/d.mp4\n",
                "\n\n\n",
                ",,,\n,,,\n",
                "Video URL\nhttps://a.b/c.mp4\n",
                "\u{feff}\u{feff}Performance,Video URL\n1,https://a.b/c.mp4\n",
            ];
            variants[rng.below(variants.len())].as_bytes().to_vec()
        }
        // Thousands of columns.
        6 => {
            let columns = 1 + rng.below(5000);
            let header: Vec<String> = (0..columns).map(|i| format!("c{i}")).collect();
            let row: Vec<&str> = (0..columns).map(|_| rng.pick(NUMBERS)).collect();
            format!("Performance,Video URL,{}\n1.0,https://a.b/c.mp4,{}\n", header.join(","), row.join(","))
                .into_bytes()
        }
        // A workbook cut short or with bytes flipped.
        7 => {
            let mut book = workbook(rng);
            if rng.below(2) == 0 {
                let keep = rng.below(book.len());
                book.truncate(keep);
            } else {
                for _ in 0..1 + rng.below(20) {
                    let at = rng.below(book.len());
                    book[at] ^= rng.next() as u8 | 1;
                }
            }
            book
        }
        // A zip that is no workbook, and a workbook-looking header with junk after it.
        8 => {
            let mut bytes = b"PK\x03\x04".to_vec();
            bytes.extend((0..rng.below(2048)).map(|_| rng.next() as u8));
            bytes
        }
        // A whole, valid workbook with hostile cells.
        9 => workbook(rng),
        // Control characters and NULs everywhere.
        10 => {
            let mut csv = b"Performance,Video URL\n".to_vec();
            for _ in 0..rng.below(50) {
                csv.extend_from_slice(format!("{},{}", rng.pick(NUMBERS), rng.pick(URLS)).as_bytes());
                csv.push([0u8, 7, 8, 11, 12, 27, 127][rng.below(7)]);
                csv.push(b'\n');
            }
            csv
        }
        // Very long lines without a newline, and a lone quote at the end.
        _ => {
            let mut csv = String::from("Performance,Video URL\n1.0,https://a.b/c.mp4,");
            csv.push_str(&",".repeat(rng.below(100_000)));
            csv.push('"');
            csv.into_bytes()
        }
    }
}

/// An XLSX with hostile cells: formulas as text, numbers as text, huge strings.
fn workbook(rng: &mut Rng) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "Performance").unwrap();
    sheet.write_string(0, 1, "Video URL").unwrap();
    for r in 1..1 + rng.below(30) as u32 {
        match rng.below(3) {
            0 => sheet.write_number(r, 0, (rng.next() % 1000) as f64 / 100.0).unwrap(),
            1 => sheet.write_string(r, 0, rng.pick(NUMBERS)).unwrap(),
            _ => sheet.write_formula(r, 0, "=1/0").unwrap(),
        };
        sheet.write_string(r, 1, rng.pick(URLS)).unwrap();
    }
    book.save_to_buffer().unwrap()
}

/// What must hold of any answer: an error with a message, or rows whose every rejection says why.
fn check(input: usize, result: Result<ParsedSheet, IngestError>) {
    match result {
        Err(e) => assert!(!e.to_string().trim().is_empty(), "input {input}: an error without a message"),
        Ok(sheet) => {
            for row in &sheet.rejected {
                assert!(!row.problems.is_empty(), "input {input}: row {} rejected without a reason", row.row);
                assert!(row.problems.iter().all(|p| !p.message.is_empty()), "input {input}: an empty reason");
            }
            for row in &sheet.accepted {
                assert!(row.performance.is_finite(), "input {input}: row {} accepted a non-number", row.row);
                assert!(!row.video_url.trim().is_empty(), "input {input}: row {} accepted without a URL", row.row);
            }
            let mut numbers: Vec<u32> =
                sheet.accepted.iter().map(|r| r.row).chain(sheet.rejected.iter().map(|r| r.row)).collect();
            let count = numbers.len();
            numbers.sort_unstable();
            numbers.dedup();
            assert_eq!(numbers.len(), count, "input {input}: a row counted twice");
        }
    }
}

#[test]
fn twelve_hundred_hostile_spreadsheets_never_panic_and_always_say_what_happened() {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let (mut parsed, mut refused) = (0, 0);
    for input in 0..1200 {
        let bytes = hostile_input(&mut rng, input);
        let result = catch_unwind(AssertUnwindSafe(|| parse_sheet(&bytes)))
            .unwrap_or_else(|_| panic!("input {input} (kind {}) panicked", input % 12));
        if result.is_ok() {
            parsed += 1
        } else {
            refused += 1
        }
        check(input, result);
        let preview = catch_unwind(AssertUnwindSafe(|| preview(&bytes, &ColumnChoices::new(), 8)));
        assert!(preview.is_ok(), "input {input}: the preview panicked");
    }
    assert!(parsed > 300 && refused > 100, "both paths exercised: {parsed} parsed, {refused} refused");
}

#[test]
fn a_million_rows_are_all_read() {
    let mut csv = String::with_capacity(40_000_000);
    csv.push_str("Performance,Video URL\n");
    for i in 0..1_000_000u32 {
        if i % 100_000 == 7 {
            csv.push_str("oops,https://cdn.example.com/bad.mp4\n");
        } else {
            csv.push_str(&format!("{}.{},https://cdn.example.com/{i}.mp4\n", i % 7, i % 10));
        }
    }
    let sheet = parse_sheet(csv.as_bytes()).expect("a big but valid file");
    assert_eq!(sheet.accepted.len() + sheet.rejected.len(), 1_000_000, "no row lost");
    assert_eq!(sheet.rejected.len(), 10);
    assert_eq!(sheet.rejected[0].row, 9, "row numbers as in the file (header is row 1)");
}
