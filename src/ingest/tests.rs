//! Ingest tests on real files (in `testdata/`), one per shape of CSV seen in the wild.

use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ingest/testdata").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

fn urls(sheet: &ParsedSheet) -> Vec<&str> {
    sheet.accepted.iter().map(|r| r.video_url.as_str()).collect()
}

#[test]
fn utf8_bom_and_crlf_are_read_cleanly() {
    let sheet = parse_sheet(&fixture("bom_crlf.csv")).unwrap();
    assert_eq!(sheet.mapping.performance.1, "Performance", "BOM must not stick to the first header");
    assert_eq!(urls(&sheet), ["https://cdn.example.com/a.mp4", "https://cdn.example.com/b.mp4"]);
    assert_eq!(sheet.accepted[0].performance, 1.5);
    assert_eq!(sheet.accepted[1].row, 3);
    assert!(sheet.rejected.is_empty());
}

#[test]
fn semicolon_separator_with_decimal_commas() {
    let sheet = parse_sheet(&fixture("semicolon_decimal_comma.csv")).unwrap();
    assert_eq!(sheet.mapping.performance.1, "ROAS");
    assert_eq!(sheet.accepted.iter().map(|r| r.performance).collect::<Vec<_>>(), [1.25, 0.5]);
    assert!(sheet.notices.iter().any(|n| n.contains("';'")), "{:?}", sheet.notices);
    // Campaign and Spend are optional fields now, read from their columns.
    assert_eq!(sheet.accepted[0].details.campaign.as_deref(), Some("Spring"));
    assert_eq!(sheet.accepted[0].details.spend, Some(100.0));
    assert!(sheet.accepted[0].extra.is_empty());
}

#[test]
fn quoted_commas_and_extra_columns_are_kept() {
    let sheet = parse_sheet(&fixture("quoted_commas_extra_columns.csv")).unwrap();
    assert_eq!(sheet.accepted.len(), 2);
    let first = &sheet.accepted[0];
    assert_eq!(first.performance, 2.0);
    assert_eq!(first.details.ad_name.as_deref(), Some("Hook, then demo"));
    assert_eq!(first.extra, [("Notes".to_string(), "said \"wow\", twice".to_string())]);
    // An empty cell is not information; it is not kept as an extra value.
    assert!(sheet.accepted[1].extra.is_empty());
    assert_eq!(sheet.accepted[1].details.ad_name.as_deref(), Some("Plain"));
}

#[test]
fn a_file_without_header_row_gets_a_clear_error() {
    assert_eq!(parse_sheet(&fixture("missing_header.csv")), Err(IngestError::MissingHeader));
}

#[test]
fn windows_1252_bytes_are_decoded_and_the_user_told() {
    let sheet = parse_sheet(&fixture("windows1252.csv")).unwrap();
    assert_eq!(urls(&sheet), ["https://cdn.example.com/café.mp4"]);
    assert_eq!(sheet.accepted[0].extra, [("Créateur".to_string(), "Renée".to_string())]);
    assert!(sheet.notices.iter().any(|n| n.contains("Windows-1252")));
}

#[test]
fn empty_file_is_an_error() {
    assert_eq!(parse_sheet(&fixture("empty.csv")), Err(IngestError::Empty));
    assert_eq!(parse_sheet(b"  \n\r\n"), Err(IngestError::Empty));
}

#[test]
fn header_only_is_an_error() {
    assert_eq!(parse_sheet(b"Performance,Video URL\n"), Err(IngestError::NoDataRows));
}

#[test]
fn every_bad_row_is_reported_with_its_row_number_and_field() {
    let sheet = parse_sheet(&fixture("mixed_problems.csv")).unwrap();
    assert_eq!(urls(&sheet), ["https://cdn.example.com/ok1.mp4", "https://cdn.example.com/ok2.mp4"]);
    let problems: Vec<(u32, &str, &str)> = sheet
        .rejected
        .iter()
        .flat_map(|r| r.problems.iter())
        .map(|p| (p.row, p.field.as_str(), p.message.as_str()))
        .collect();
    assert_eq!(
        problems,
        [
            (3, "Performance", "missing performance"),
            (4, "Performance", "not a number: 'abc'"),
            (5, "Video URL", "missing video URL"),
            (6, "Video URL", "unsupported URL scheme 'ftp:' (use http, https or file)"),
            (7, "row", "duplicate of row 2"),
            (9, "Performance", "not a finite number: 'NaN'"),
        ]
    );
    // Nothing is dropped: every data row is either accepted or rejected, and rejected rows keep
    // their raw values.
    assert_eq!(sheet.total_rows(), 8);
    assert_eq!(sheet.rejected[1].performance.as_deref(), Some("abc"));
}

#[test]
fn header_synonyms_are_recognised() {
    let sheet = parse_sheet(&fixture("synonyms.csv")).unwrap();
    assert_eq!(sheet.mapping.video_url.1, "Link");
    assert_eq!(sheet.mapping.performance.1, "Score");
}

#[test]
fn a_missing_column_names_what_the_file_has() {
    let err = parse_sheet(&fixture("no_url_column.csv")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "No video URL column found. Expected a header like `Video URL`, `url` or `video link`; the file has: `Name`, `Views`."
    );
}

#[test]
fn two_candidate_columns_are_ambiguous() {
    let err = parse_sheet(b"Performance,Video URL,video_url\n1,https://a.example/x\n").unwrap_err();
    assert!(matches!(err, IngestError::AmbiguousColumn { .. }), "{err}");
}

#[test]
fn broken_workbooks_and_binary_files_are_refused_with_one_message() {
    let err = parse_sheet(b"PK\x03\x04rest-of-a-zip").unwrap_err();
    assert!(matches!(err, IngestError::Workbook(_)), "{err}");
    assert!(err.to_string().starts_with("The workbook could not be read"), "{err}");
    assert_eq!(parse_sheet(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Err(IngestError::Binary));
}

#[test]
fn utf16_with_bom_is_read() {
    let text = "Performance,Video URL\n1.5,https://a.example/v.mp4\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let sheet = parse_sheet(&bytes).unwrap();
    assert_eq!(urls(&sheet), ["https://a.example/v.mp4"]);
}

#[test]
fn the_prototype_input_is_read_whole() {
    let Some(dir) = crate::testing::require_corpus() else { return };
    let bytes = std::fs::read(dir.join("assignment.csv")).unwrap();
    let sheet = parse_sheet(&bytes).unwrap();
    assert_eq!(sheet.accepted.len(), 268);
    assert!(sheet.rejected.is_empty());
}

#[test]
fn plain_paths_are_accepted_for_the_local_directory() {
    let sheet =
        parse_sheet(b"Performance,Video URL\n1.0,ads/clip.mp4\n2.0,/srv/ads/other.mp4\n3.0,javascript:alert(1)\n")
            .unwrap();
    assert_eq!(urls(&sheet), ["ads/clip.mp4", "/srv/ads/other.mp4"]);
    assert_eq!(sheet.rejected[0].problems[0].message, "unsupported URL scheme 'javascript:' (use http, https or file)");
}

/// An XLSX written by rust_xlsxwriter, as Excel would save it: numbers, a date cell, text, an
/// error-looking string, a blank row in the middle.
fn workbook_bytes() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (col, header) in ["Ad name", "Video URL", "ROAS", "Amount spent (USD)", "Day", "Campaign"].iter().enumerate() {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    let rows: [(&str, &str, f64, f64, (u16, u8, u8)); 2] = [
        ("Hook A", "https://cdn.example/a.mp4", 2.5, 1200.0, (2026, 3, 4)),
        ("Hook B", "https://cdn.example/b.mp4", 0.75, 80.5, (2026, 3, 5)),
    ];
    for (i, (name, url, roas, spend, (y, m, d))) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_string(r, 0, *name).unwrap();
        sheet.write_string(r, 1, *url).unwrap();
        sheet.write_number(r, 2, *roas).unwrap();
        sheet.write_number(r, 3, *spend).unwrap();
        sheet.write_datetime_with_format(r, 4, ExcelDateTime::from_ymd(*y, *m, *d).unwrap(), &date).unwrap();
        sheet.write_string(r, 5, "Spring").unwrap();
    }
    // Row 5 (after a blank row 4): a performance Excel could not compute.
    sheet.write_string(4, 0, "Hook C").unwrap();
    sheet.write_string(4, 1, "https://cdn.example/c.mp4").unwrap();
    sheet.write_string(4, 2, "#DIV/0!").unwrap();
    book.save_to_buffer().unwrap()
}

#[test]
fn xlsx_rows_keep_excel_row_numbers_and_optional_fields() {
    let sheet = parse_sheet(&workbook_bytes()).unwrap();
    assert_eq!(sheet.mapping.video_url.1, "Video URL");
    assert_eq!(sheet.mapping.performance.1, "ROAS");
    let mapped: Vec<Field> = sheet.mapping.optional.iter().map(|(f, _)| *f).collect();
    assert_eq!(mapped, vec![Field::Spend, Field::Date, Field::Campaign, Field::AdName]);
    assert_eq!(sheet.accepted.len(), 2);
    let first = &sheet.accepted[0];
    assert_eq!((first.row, first.performance), (2, 2.5));
    assert_eq!(first.details.spend, Some(1200.0));
    assert_eq!(first.details.date.as_deref(), Some("2026-03-04"));
    assert_eq!(first.details.campaign.as_deref(), Some("Spring"));
    assert_eq!(first.details.ad_name.as_deref(), Some("Hook A"));
    assert!(first.extra.is_empty(), "every column is mapped: {:?}", first.extra);
    assert_eq!(sheet.accepted[1].details.spend, Some(80.5));
    assert_eq!(sheet.rejected.len(), 1);
    assert_eq!(sheet.rejected[0].row, 5, "the sheet's own row number, blank row 4 skipped");
    assert_eq!(sheet.rejected[0].problems[0].message, "not a number: '#DIV/0!'");
    // Nothing of a rejected row is lost: its optional cells stay with it, as given.
    assert_eq!(sheet.rejected[0].extra, vec![("Ad name".to_string(), "Hook C".to_string())]);
}

#[test]
fn the_users_column_choices_win_over_detection() {
    let csv = b"Score,ROAS,Link,Spend\n1,2,https://a.example/v.mp4,10\n";
    let auto = parse_sheet(csv).unwrap();
    assert_eq!(auto.mapping.performance.1, "ROAS");
    assert_eq!(auto.accepted[0].details.spend, Some(10.0));
    let choices = vec![(Field::Performance, Some("Score".to_string())), (Field::Spend, None)];
    let chosen = parse_with(csv, &choices).unwrap();
    assert_eq!(chosen.mapping.performance.1, "Score");
    assert_eq!(chosen.accepted[0].performance, 1.0);
    assert_eq!(chosen.accepted[0].details.spend, None, "spend left out by the user");
    assert_eq!(
        chosen.accepted[0].extra,
        vec![("ROAS".to_string(), "2".to_string()), ("Spend".to_string(), "10".to_string())]
    );

    let unknown = parse_with(csv, &vec![(Field::VideoUrl, Some("URL".to_string()))]).unwrap_err();
    assert_eq!(
        unknown.to_string(),
        "There is no column `URL` for the video URL; the file has: `Score`, `ROAS`, `Link`, `Spend`."
    );
    let twice = parse_with(csv, &vec![(Field::Spend, Some("ROAS".to_string()))]).unwrap_err();
    assert_eq!(twice.to_string(), "The column `ROAS` cannot be both the performance and the spend.");
}

#[test]
fn amounts_and_dates_are_read_strictly() {
    let csv = "Performance,Video URL,Spend,Date\n\
        1,https://a.example/1.mp4,\"$1,234.50\",2026-03-04\n\
        1,https://a.example/2.mp4,\"1,5\",2026/03/05\n\
        1,https://a.example/3.mp4,-3,03/04/2026\n\
        1,https://a.example/4.mp4,,2026-02-30\n\
        1,https://a.example/5.mp4,,2026-03-06 10:15:00\n";
    let sheet = parse_sheet(csv.as_bytes()).unwrap();
    assert_eq!(sheet.accepted.iter().map(|a| a.row).collect::<Vec<_>>(), vec![2, 6]);
    assert_eq!(sheet.accepted[0].details.spend, Some(1234.5));
    assert_eq!(sheet.accepted[1].details.date.as_deref(), Some("2026-03-06"));
    let messages: Vec<(u32, String)> =
        sheet.rejected.iter().flat_map(|r| r.problems.iter().map(|p| (p.row, p.message.clone()))).collect();
    assert_eq!(
        messages,
        vec![
            (3, "not an amount: '1,5'".to_string()),
            (4, "negative spend: '-3'".to_string()),
            (4, "not a date: '03/04/2026' (write it as YYYY-MM-DD)".to_string()),
            (5, "not a date: '2026-02-30' (write it as YYYY-MM-DD)".to_string()),
        ]
    );
}

#[test]
fn preview_shows_headers_and_first_rows_even_when_a_column_is_missing() {
    let csv = b"Score,Link\n1,https://a.example/v.mp4\n2,https://a.example/w.mp4\n3,https://a.example/x.mp4\n";
    let preview = preview(csv, &ColumnChoices::new(), 2).unwrap();
    assert_eq!(preview.headers, vec!["Score", "Link"]);
    assert_eq!(preview.total_rows, 3);
    assert_eq!(
        preview.sample,
        vec![
            (2, vec!["1".to_string(), "https://a.example/v.mp4".to_string()]),
            (3, vec!["2".to_string(), "https://a.example/w.mp4".to_string()])
        ]
    );
    assert!(preview.parsed.is_ok(), "Score is a performance synonym");
    let csv = b"Value,Link\n1,https://a.example/v.mp4\n";
    let missing = super::preview(csv, &ColumnChoices::new(), 5).unwrap();
    assert!(matches!(missing.parsed, Err(IngestError::MissingColumn { wanted: "performance", .. })));
    let chosen = super::preview(csv, &vec![(Field::Performance, Some("Value".to_string()))], 5).unwrap();
    assert_eq!(chosen.parsed.unwrap().accepted.len(), 1);
}
