//! Memory and time to read the largest spreadsheets a user may upload: a million-row CSV and a
//! million-row XLSX (the format's limit is 1,048,576 rows), with the optional columns filled in.
//! The files are written first; each is then read in a fresh process (this binary, started
//! again with the file's path), so nothing left over from making it hides in the figure. Peak
//! memory is that process's high-water mark (VmHWM) above what it held with the file loaded.
//! Run: `cargo bench --bench ingest_memory` (release; about a minute).

use std::path::Path;
use std::time::Instant;

use ips_core::ingest::parse_sheet;

const ROWS: u32 = 1_000_000;
const HEADERS: [&str; 6] = ["Performance", "Video URL", "Spend", "Date", "Campaign", "Ad name"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` passes `--bench`; a path is the child's cue.
    if let Some(path) = std::env::args().skip(1).find(|a| !a.starts_with("--")) {
        return measure(Path::new(&path));
    }
    let dir = tempfile::tempdir()?;
    let (csv, xlsx) = (dir.path().join("million.csv"), dir.path().join("million.xlsx"));
    write_csv(&csv)?;
    write_xlsx(&xlsx)?;
    for file in [csv, xlsx] {
        let status = std::process::Command::new(std::env::current_exe()?).arg(&file).status()?;
        if !status.success() {
            return Err(format!("reading {} failed", file.display()).into());
        }
    }
    Ok(())
}

fn write_csv(path: &Path) -> std::io::Result<()> {
    let mut csv = String::with_capacity(100 * ROWS as usize);
    csv.push_str(&HEADERS.join(","));
    csv.push('\n');
    for i in 0..ROWS {
        csv.push_str(&format!(
            "{}.{},https://cdn.example.com/ads/{i}.mp4,{}.50,2026-03-{:02},Spring sale {},Ad number {i}\n",
            i % 7,
            i % 10,
            i % 500,
            i % 28 + 1,
            i % 40
        ));
    }
    std::fs::write(path, csv)
}

fn write_xlsx(path: &Path) -> Result<(), rust_xlsxwriter::XlsxError> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, name) in HEADERS.iter().enumerate() {
        sheet.write_string(0, col as u16, *name)?;
    }
    for i in 0..ROWS {
        let row = i + 1;
        sheet.write_number(row, 0, f64::from(i % 7) + f64::from(i % 10) / 10.0)?;
        sheet.write_string(row, 1, format!("https://cdn.example.com/ads/{i}.mp4"))?;
        sheet.write_number(row, 2, f64::from(i % 500) + 0.5)?;
        sheet.write_string(row, 3, format!("2026-03-{:02}", i % 28 + 1))?;
        sheet.write_string(row, 4, format!("Spring sale {}", i % 40))?;
        sheet.write_string(row, 5, format!("Ad number {i}"))?;
    }
    workbook.save(path)
}

fn measure(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let bytes = std::fs::read(path)?;
    // Writing 5 resets the high-water mark to the current resident size (Linux ≥ 4.0).
    std::fs::write("/proc/self/clear_refs", "5")?;
    let before = status_kib("VmRSS")?;
    let started = Instant::now();
    let sheet = parse_sheet(&bytes)?;
    let seconds = started.elapsed().as_secs_f64();
    let peak = status_kib("VmHWM")?;
    assert_eq!(sheet.total_rows(), ROWS as usize, "every row read");
    assert!(sheet.rejected.is_empty(), "{:?}", sheet.rejected.first());
    let above_mb = (peak - before) as f64 / 1024.0;
    println!(
        "{}: {ROWS} rows, {:.1} MB file, read in {seconds:.1} s; peak memory {above_mb:.0} MB above the file \
         loaded ({:.1}× the file)",
        path.extension().and_then(|e| e.to_str()).unwrap_or("?").to_uppercase(),
        bytes.len() as f64 / 1e6,
        above_mb * 1024.0 * 1024.0 / bytes.len() as f64,
    );
    Ok(())
}

/// A `/proc/self/status` field, in KiB.
fn status_kib(field: &str) -> Result<u64, Box<dyn std::error::Error>> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with(field)).ok_or("no such field")?;
    Ok(line.split_whitespace().nth(1).ok_or("no value")?.parse()?)
}
