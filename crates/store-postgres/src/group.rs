//! The group commit: many calculations, one transaction, one bad row
//! failing alone.

use sqlx::{Connection, PgConnection};
use thermaliq_store::{
    CalculationRecord, GroupResults, StoreError, duplicate_calculation, same_as_stored,
    truncate_to_micros,
};
use time::OffsetDateTime;

use crate::PostgresStore;
use crate::calculations::{calculation_columns, calculation_from_row, insert_calculation_once};
use crate::errors::{classify, is_bad_json, is_statement_error};
use crate::retry::is_connection_lost;

/// Rows per multi-row `INSERT` of calculations (bound as arrays and `unnest`ed).
const CALCULATIONS_CHUNK: usize = 500;

/// One attempt at a group of calculations, in one transaction: the fast path
/// is one multi-row `INSERT ... ON CONFLICT (calculation_id) DO NOTHING
/// RETURNING calculation_id` per chunk (an id missing from `RETURNING` was
/// taken); if a statement fails for another reason (a constraint, a text the
/// server refuses) the transaction is rolled back and every record is
/// inserted on its own under a SAVEPOINT, so only the bad ones fail.
/// `retry`: the previous attempt may have committed (see the trait).
async fn insert_calculations_once(
    conn: &mut PgConnection,
    records: &[CalculationRecord],
    retry: bool,
) -> Result<Vec<Result<(), StoreError>>, sqlx::Error> {
    let mut results = GroupResults::new(records);
    let todo = results.pending().to_vec();

    let mut tx = conn.begin().await?;
    let mut fast = Vec::with_capacity(todo.len());
    let mut fast_failed = None;
    for chunk in todo.chunks(CALCULATIONS_CHUNK) {
        match insert_calculation_chunk(&mut tx, records, chunk).await {
            Ok(stored) => fast.extend(chunk.iter().map(|&i| (i, stored.contains(&i)))),
            Err(e) if is_statement_error(&e) => {
                fast_failed = Some(e);
                break;
            }
            Err(e) => return Err(e),
        }
    }
    if fast_failed.is_none() {
        for (i, stored) in fast {
            results.set(
                i,
                if stored {
                    Ok(())
                } else {
                    Err(duplicate_calculation(&records[i].calculation_id))
                },
            );
        }
    } else {
        tx.rollback().await?;
        tx = conn.begin().await?;
        for &i in &todo {
            let result = insert_calculation_savepoint(&mut tx, &records[i]).await?;
            results.set(i, result);
        }
    }
    if retry {
        accept_equal_rows(&mut tx, records, &todo, &mut results).await?;
    }
    tx.commit().await?;
    Ok(results.finish())
}

/// One multi-row insert of `records[i]` for `i` in `chunk`; returns the
/// indices stored (the others' ids were taken).
async fn insert_calculation_chunk(
    conn: &mut PgConnection,
    records: &[CalculationRecord],
    chunk: &[usize],
) -> Result<std::collections::HashSet<usize>, sqlx::Error> {
    let rows: Vec<&CalculationRecord> = chunk.iter().map(|&i| &records[i]).collect();
    let text = |f: fn(&CalculationRecord) -> &str| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
    let opt =
        |f: fn(&CalculationRecord) -> Option<&str>| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
    let time = |f: fn(&CalculationRecord) -> OffsetDateTime| {
        rows.iter()
            .map(|r| truncate_to_micros(f(r)))
            .collect::<Vec<_>>()
    };
    let stored: Vec<String> = sqlx::query_scalar(concat!(
        "INSERT INTO calculations (",
        calculation_columns!(),
        ", energy_flows) \
         SELECT t.calculation_id, t.facility_id, t.period_start, t.period_end, t.efficiency, \
             t.status, t.invalid_reason, t.recalculated_from, t.energy_flows_text, t.request, \
             t.canonical_input, t.result, t.input_hash, t.output_hash, t.engine_version, \
             t.created_at, t.energy_flows_text::jsonb \
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], \
             $5::float8[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], \
             $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], \
             $16::timestamptz[]) WITH ORDINALITY \
             AS t(calculation_id, facility_id, period_start, period_end, efficiency, status, \
                  invalid_reason, recalculated_from, energy_flows_text, request, \
                  canonical_input, result, input_hash, output_hash, engine_version, \
                  created_at, ord) \
         ORDER BY t.ord \
         ON CONFLICT (calculation_id) DO NOTHING \
         RETURNING calculation_id"
    ))
    .bind(text(|r| &r.calculation_id))
    .bind(text(|r| &r.facility_id))
    .bind(time(|r| r.period_start))
    .bind(time(|r| r.period_end))
    .bind(rows.iter().map(|r| r.efficiency).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.status.as_str()).collect::<Vec<_>>())
    .bind(opt(|r| r.invalid_reason.as_deref()))
    .bind(opt(|r| r.recalculated_from.as_deref()))
    .bind(text(|r| &r.energy_flows))
    .bind(text(|r| &r.request))
    .bind(text(|r| &r.canonical_input))
    .bind(text(|r| &r.result))
    .bind(text(|r| &r.input_hash))
    .bind(text(|r| &r.output_hash))
    .bind(text(|r| &r.engine_version))
    .bind(time(|r| r.created_at))
    .fetch_all(&mut *conn)
    .await?;
    let stored: std::collections::HashSet<&str> = stored.iter().map(String::as_str).collect();
    Ok(chunk
        .iter()
        .copied()
        .filter(|&i| stored.contains(records[i].calculation_id.as_str()))
        .collect())
}

/// Inserts one record under a SAVEPOINT: a refused record is rolled back to
/// it and reported, the transaction goes on.
async fn insert_calculation_savepoint(
    conn: &mut PgConnection,
    r: &CalculationRecord,
) -> Result<Result<(), StoreError>, sqlx::Error> {
    sqlx::raw_sql("SAVEPOINT calculation_row")
        .execute(&mut *conn)
        .await?;
    let mut outcome = insert_calculation_once(conn, r, true).await;
    if matches!(&outcome, Err(e) if is_bad_json(e)) {
        sqlx::raw_sql("ROLLBACK TO SAVEPOINT calculation_row")
            .execute(&mut *conn)
            .await?;
        outcome = insert_calculation_once(conn, r, false).await;
    }
    match outcome {
        Ok(()) => {
            sqlx::raw_sql("RELEASE SAVEPOINT calculation_row")
                .execute(&mut *conn)
                .await?;
            Ok(Ok(()))
        }
        Err(e) if is_statement_error(&e) => {
            sqlx::raw_sql("ROLLBACK TO SAVEPOINT calculation_row")
                .execute(&mut *conn)
                .await?;
            Ok(Err(classify(e)))
        }
        Err(e) => Err(e),
    }
}

/// On a retry: a `Duplicate` whose stored row equals the record was stored
/// by the lost attempt, so it is `Ok`.
async fn accept_equal_rows(
    conn: &mut PgConnection,
    records: &[CalculationRecord],
    todo: &[usize],
    results: &mut GroupResults,
) -> Result<(), sqlx::Error> {
    let taken: Vec<usize> = todo
        .iter()
        .copied()
        .filter(|&i| results.is_duplicate(i))
        .collect();
    if taken.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = taken
        .iter()
        .map(|&i| records[i].calculation_id.as_str())
        .collect();
    let rows = sqlx::query(concat!(
        "SELECT ",
        calculation_columns!(),
        " FROM calculations WHERE calculation_id = ANY($1)"
    ))
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let stored: std::collections::HashMap<String, CalculationRecord> = rows
        .iter()
        .filter_map(|row| calculation_from_row(row).ok())
        .map(|r| (r.calculation_id.clone(), r))
        .collect();
    for i in taken {
        if stored
            .get(&records[i].calculation_id)
            .is_some_and(|s| same_as_stored(s, &records[i]))
        {
            results.set(i, Ok(()));
        }
    }
    Ok(())
}

pub(crate) async fn insert_calculations(
    store: &PostgresStore,
    records: &[CalculationRecord],
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    if records.is_empty() {
        return Ok(Vec::new());
    }
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut pooled = store.acquire().await?;
        let once = tokio::select! {
            biased;
            () = store.health.until_down() => Err(crate::retry::Failure::database_down().err),
            once = insert_calculations_once(&mut pooled, records, attempt > 1) => once,
        };
        match once {
            Ok(results) => break Ok(results),
            Err(err) => {
                let lost = is_connection_lost(&err);
                if lost {
                    pooled.close_on_drop();
                }
                drop(pooled);
                // Retried also after a lost COMMIT: the retry counts rows
                // equal to its records as stored (see the trait).
                if !(lost && attempt < 2) {
                    break Err(classify(err));
                }
            }
        }
    }
}
