//! `thermaliq import readings FILE --facility ID`: streams a CSV or NDJSON
//! file into the store in batches, line by line (memory stays flat however
//! large the file), with a progress line on stderr and every refused row
//! reported by its line number.

use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use thermaliq_core::readings::{
    CsvColumns, IngestOptions, IngestRow, Quality, RowChecker, RowError,
};
use thermaliq_store::{AuditEntry, InsertSummary, NewReading, ReadingQuality, Store};
use time::OffsetDateTime;

/// Rows written per store call (one transaction each).
const BATCH: usize = 5_000;
/// Refused rows printed in full; the count is always complete.
const SHOWN_ERRORS: usize = 20;

pub struct ImportReport {
    pub summary: InsertSummary,
    pub rejected: u64,
}

fn to_new(row: IngestRow) -> NewReading {
    NewReading {
        tag: row.tag,
        timestamp: row.timestamp,
        value: row.value,
        quality: match row.quality {
            Quality::Good => ReadingQuality::Good,
            Quality::Uncertain => ReadingQuality::Uncertain,
            Quality::Bad => ReadingQuality::Bad,
        },
        correction: row.correction,
    }
}

async fn flush(
    store: &dyn Store,
    facility_id: &str,
    batch: &mut Vec<NewReading>,
    total: &mut InsertSummary,
) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let audit = AuditEntry {
        occurred_at: OffsetDateTime::now_utc(),
        actor: "cli".to_owned(),
        action: "readings.correct".to_owned(),
        subject: facility_id.to_owned(),
        detail: "{}".to_owned(),
    };
    let corrections = batch.iter().any(|r| r.correction);
    let s = store
        .insert_readings(facility_id, batch, corrections.then_some(&audit))
        .await
        .context("the store refused a batch")?;
    total.inserted += s.inserted;
    total.duplicates += s.duplicates;
    total.corrected += s.corrected;
    batch.clear();
    Ok(())
}

pub async fn import_readings(
    store: &dyn Store,
    facility_id: &str,
    file: &Path,
) -> anyhow::Result<ImportReport> {
    let record = store.get_facility(facility_id).await?.ok_or_else(|| {
        anyhow::anyhow!(
            "facility {facility_id} does not exist: create it first (POST /v1/thermaliq/facilities)"
        )
    })?;
    let facility = thermaliq_core::readings::parse_facility(record.document.as_bytes())?;
    let options = IngestOptions::new(OffsetDateTime::now_utc());
    let checker = RowChecker::new(&facility, &options);
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0).max(1);
    let reader = BufReader::new(
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?,
    );
    let ndjson = matches!(
        file.extension().and_then(|e| e.to_str()),
        Some("ndjson" | "jsonl")
    );
    let interactive = std::io::stderr().is_terminal();

    let started = Instant::now();
    let mut columns: Option<CsvColumns> = None;
    let mut batch = Vec::with_capacity(BATCH);
    let mut total = InsertSummary::default();
    let (mut read_bytes, mut rows, mut rejected) = (0u64, 0u64, 0u64);
    let mut last_progress = Instant::now();
    for (index, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read line {}", index + 1))?;
        read_bytes += line.len() as u64 + 1;
        let number = index as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let checked = if ndjson {
            checker.ndjson_line(number, &line)
        } else if let Some(cols) = &columns {
            checker.csv_line(cols, number, &line)
        } else {
            columns = Some(CsvColumns::from_header(&line).context(
                "the first line must be a CSV header: tag,timestamp,value[,quality][,correction]",
            )?);
            continue;
        };
        match checked {
            Ok(row) => {
                rows += 1;
                batch.push(to_new(row));
            }
            Err(errors) => {
                if rejected < SHOWN_ERRORS as u64 {
                    for RowError {
                        row,
                        field,
                        problem,
                    } in &errors
                    {
                        eprintln!("line {row}: {field}: {problem}");
                    }
                }
                rejected += 1;
            }
        }
        if batch.len() >= BATCH {
            flush(store, facility_id, &mut batch, &mut total).await?;
            if interactive || last_progress.elapsed().as_secs() >= 5 {
                progress(read_bytes, size, rows, rejected, started, interactive);
                last_progress = Instant::now();
            }
        }
    }
    flush(store, facility_id, &mut batch, &mut total).await?;
    progress(size, size, rows, rejected, started, interactive);
    if interactive {
        eprintln!();
    }
    Ok(ImportReport {
        summary: total,
        rejected,
    })
}

fn progress(done: u64, size: u64, rows: u64, rejected: u64, started: Instant, interactive: bool) {
    let pct = (done as f64 / size as f64 * 100.0).min(100.0);
    let rate = rows as f64 / started.elapsed().as_secs_f64().max(1e-3);
    let width = 30usize;
    let filled = ((pct / 100.0) * width as f64) as usize;
    let bar = format!("[{}{}]", "#".repeat(filled), " ".repeat(width - filled));
    let text = format!("{bar} {pct:5.1} %  {rows} rows  {rate:.0} rows/s  {rejected} refused");
    let mut err = std::io::stderr().lock();
    let _ = if interactive {
        write!(err, "\r{text}")
    } else {
        writeln!(err, "{text}")
    };
    let _ = err.flush();
}
