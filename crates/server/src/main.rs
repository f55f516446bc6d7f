//! `thermaliq`: the CLI over the service (serve, tokens, config, offline calculation).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use thermaliq_core::provenance::compute_and_seal;
use thermaliq_core::{CoreError, ResultStatus, parse_calculation_request};
use thermaliq_server::config::{self, Settings};
use thermaliq_server::{open_store, start, telemetry};
use thermaliq_store::Scope;

#[derive(Parser)]
#[command(
    name = "thermaliq",
    version,
    about = "Thermal efficiency service: HTTP API and CLI"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (SQLite under the data directory unless DATABASE_URL is set).
    Serve {
        /// Address to listen on [env: THERMALIQ_BIND] [default: 127.0.0.1:8080].
        #[arg(long)]
        bind: Option<String>,
        /// Data directory [env: THERMALIQ_DATA_DIR] [default: ./data].
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Print the OpenAPI 3.1 document (the one served at /v1/thermaliq/openapi.json).
    Openapi,
    /// Apply database migrations and exit.
    Migrate {
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Check configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Run the engine offline on a request file (`-` for stdin) and print the result as JSON.
    Calculate { file: PathBuf },
    /// Steam and water properties (IAPWS-IF97) from two of p, T, h, s, x, or one with --saturated.
    Steam(SteamArgs),
    /// Combustion losses and efficiency (ASME PTC 4) for a request file (`-` for stdin).
    Combustion { file: PathBuf },
    /// Import data into the store.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Energy baselines (ISO 50006): fit one, or compare a period with it.
    Baseline {
        #[command(subcommand)]
        command: BaselineCommand,
    },
    /// Place a stored calculation against published references and the fleet.
    Benchmark {
        /// The calculation id (CALC-...).
        calculation_id: String,
        #[arg(long)]
        fuel: Option<String>,
        /// When the facility has no stored configuration.
        #[arg(long)]
        process_type: Option<String>,
        #[arg(long)]
        capacity_kw: Option<f64>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Energy meters: check that every source of a facility answers (runbook scenario 3).
    Meters {
        #[command(subcommand)]
        command: MetersCommand,
    },
    /// Render a Sankey diagram of a stored calculation (CALC-...) or of a flow-graph file, to stdout.
    Sankey {
        /// A calculation id, or a JSON file with {"nodes": [...], "flows": [...]} (`-` for stdin).
        source: String,
        /// svg, json, plotly or html.
        #[arg(long, default_value = "svg")]
        format: String,
        /// energy or exergy (stored calculations only).
        #[arg(long, default_value = "energy")]
        kind: String,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Write the report of a stored calculation (PDF or HTML), offline from the store.
    Report {
        /// A calculation id (CALC-...).
        calculation_id: String,
        /// pdf or html.
        #[arg(long, default_value = "pdf")]
        format: String,
        /// Output file.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct SteamArgs {
    #[arg(long)]
    pressure_mpa: Option<String>,
    #[arg(long)]
    pressure_bar: Option<String>,
    #[arg(long)]
    pressure_kpa: Option<String>,
    #[arg(long)]
    temperature_k: Option<String>,
    #[arg(long)]
    temperature_c: Option<String>,
    #[arg(long)]
    enthalpy_kj_kg: Option<String>,
    #[arg(long)]
    entropy_kj_kg_k: Option<String>,
    #[arg(long)]
    quality: Option<String>,
    /// liquid or vapor
    #[arg(long)]
    saturated: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum BaselineCommand {
    /// Fit and store a baseline: FILE holds the body of `POST …/baselines` (`-` for stdin).
    Fit {
        facility_id: String,
        file: PathBuf,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Expected vs actual energy, savings, SEnPI and CUSUM over [from, to).
    Performance {
        facility_id: String,
        name: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token and print it once (only its hash is stored).
    Create {
        /// A unique name (1 to 64 characters).
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        scope: ScopeArg,
        /// Refuse the token this many days from now (default: never).
        #[arg(long)]
        expires_in_days: Option<u32>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// List tokens as JSON: name, scope, created, expiry, last use (never the token).
    List {
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Revoke (delete) the token with this name; written to the audit log.
    Revoke {
        #[arg(long)]
        name: String,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Meter readings from a CSV (tag,timestamp,value[,quality][,correction]) or NDJSON (.ndjson/.jsonl) file.
    Readings {
        file: PathBuf,
        #[arg(long)]
        facility: String,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum MetersCommand {
    /// Test each source's connectivity and credentials; exit 0 when all answer, 1 naming the failing ones.
    Check {
        #[arg(long)]
        facility: String,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ScopeArg {
    Read,
    Calculate,
    Admin,
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate a YAML file (with the environment on top) and print the effective settings, secrets redacted.
    Validate {
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Print every setting (name, default, accepted values, meaning) as the Markdown table of docs/OPERATIONS.md.
    Settings,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(err) => {
            let (error_type, message) = failure_line(&err);
            eprintln!("error: {message}");
            // The JSON log line too (a no-op init when logging already runs):
            // `kubectl logs --previous | grep "Config validation failed"`.
            telemetry::init("info", Box::new(std::io::stdout()));
            tracing::error!(error_type, error_message = %format!("{err:#}"), "{message}");
            ExitCode::from(2)
        }
    }
}

/// The message a failed command logs, in the runbook's words (Scenario 1:
/// `Config validation failed`, `Cannot bind to port`, `Connection refused`
/// naming the database or Redis).
fn failure_line(err: &anyhow::Error) -> (&'static str, String) {
    if err
        .chain()
        .any(|e| e.downcast_ref::<config::ConfigError>().is_some())
    {
        let cause = err
            .chain()
            .find_map(|e| e.downcast_ref::<config::ConfigError>())
            .map(ToString::to_string)
            .unwrap_or_default();
        return ("ConfigError", format!("Config validation failed: {cause}"));
    }
    match err.downcast_ref::<thermaliq_server::StartupError>() {
        Some(startup) => (startup.error_type(), format!("{err:#}")),
        None => ("StartupError", format!("{err:#}")),
    }
}

fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Settings, with `--data-dir` (when given) over the configured data directory.
fn settings_with_data_dir(data_dir: Option<PathBuf>) -> anyhow::Result<Settings> {
    let mut settings = load_settings(None)?;
    if let Some(dir) = data_dir {
        settings.data_dir = dir;
    }
    Ok(settings)
}

/// Environment variables that look like settings and are not.
fn unknown_environment() -> Vec<config::UnknownSetting> {
    let names: Vec<String> = std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .collect();
    config::unknown_settings(names.iter().map(String::as_str))
}

/// Settings from `THERMALIQ_CONFIG` (if set) and the environment.
fn load_settings(file: Option<&Path>) -> anyhow::Result<Settings> {
    let from_env = env_lookup("THERMALIQ_CONFIG").map(PathBuf::from);
    let file = file.map(Path::to_path_buf).or(from_env);
    let loaded = config::load(file.as_deref(), &env_lookup).context("configuration is invalid")?;
    for key in &loaded.unused_keys {
        eprintln!("warning: config key {key} is not used by this version");
    }
    Ok(loaded.settings)
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve { bind, data_dir } => {
            let mut settings = settings_with_data_dir(data_dir)?;
            if let Some(bind) = bind {
                settings.bind = bind
                    .parse()
                    .with_context(|| format!("--bind '{bind}' is not an address:port"))?;
            }
            telemetry::init(&settings.log_filter, Box::new(std::io::stdout()));
            for unknown in unknown_environment() {
                tracing::warn!(
                    setting = unknown.name.as_str(),
                    nearest = unknown.nearest.unwrap_or(""),
                    "Unknown setting ignored: {unknown}"
                );
            }
            serve(settings).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { data_dir } => {
            let settings = settings_with_data_dir(data_dir)?;
            let store = open_store(&settings).await?;
            store.close().await;
            println!("migrations applied ({} store)", store.backend());
            Ok(ExitCode::SUCCESS)
        }
        Command::Token { command } => token_command(command).await,
        Command::Openapi => {
            emit(&thermaliq_server::app::openapi_document());
            Ok(ExitCode::SUCCESS)
        }
        Command::Config {
            command: ConfigCommand::Settings,
        } => {
            emit(&config::settings_markdown());
            Ok(ExitCode::SUCCESS)
        }
        Command::Config {
            command: ConfigCommand::Validate { file },
        } => {
            for unknown in unknown_environment() {
                eprintln!("warning: {unknown}");
            }
            let settings = load_settings(file.as_deref())?;
            emit(&serde_json::to_string_pretty(&settings)?);
            eprintln!("configuration is valid");
            Ok(ExitCode::SUCCESS)
        }
        Command::Calculate { file } => calculate_offline(&file),
        Command::Steam(args) => steam(&args),
        Command::Combustion { file } => combustion(&file),
        Command::Import {
            command:
                ImportCommand::Readings {
                    file,
                    facility,
                    data_dir,
                },
        } => {
            let settings = settings_with_data_dir(data_dir)?;
            let store = open_store(&settings).await?;
            let report =
                thermaliq_server::import::import_readings(store.as_ref(), &facility, &file).await;
            store.close().await;
            let report = report?;
            let s = report.summary;
            emit(&serde_json::to_string_pretty(&serde_json::json!({
                "facility_id": facility,
                "inserted": s.inserted,
                "duplicates": s.duplicates,
                "corrected": s.corrected,
                "rejected_rows": report.rejected,
            }))?);
            Ok(if report.rejected == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Baseline { command } => baseline(command).await,
        Command::Benchmark {
            calculation_id,
            fuel,
            process_type,
            capacity_kw,
            data_dir,
        } => {
            let state = cli_state(data_dir).await?;
            let options = thermaliq_server::service::analytics::benchmark::BenchmarkOptions {
                process_type,
                fuel,
                capacity_kw,
            };
            let outcome = thermaliq_server::service::analytics::benchmark::calculation_benchmark(
                &state,
                &calculation_id,
                options,
            )
            .await;
            state.store.close().await;
            service_output(outcome.map(thermaliq_server::views::analytics::BenchmarkView::from))
        }
        Command::Meters {
            command: MetersCommand::Check { facility, data_dir },
        } => {
            let settings = settings_with_data_dir(data_dir)?;
            let store = open_store(&settings).await?;
            let cache = thermaliq_server::build_cache(&settings, "").await?;
            let client = connectors::energy_meter::EnergyMeterClient::new(
                settings.energy_meter.connector_config(),
                cache,
                std::sync::Arc::new(connectors::energy_meter::NoObserver),
            );
            let report = thermaliq_server::service::meters::check_facility(
                store.as_ref(),
                &client,
                &facility,
            )
            .await;
            store.close().await;
            let report = report?;
            emit(&serde_json::to_string_pretty(&report)?);
            let failing = report.failing();
            if failing.is_empty() {
                Ok(ExitCode::SUCCESS)
            } else {
                for c in failing {
                    eprintln!(
                        "failed: {} {} ({}): {}",
                        c.source, c.target, c.channel, c.detail
                    );
                }
                Ok(ExitCode::from(1))
            }
        }
        Command::Sankey {
            source,
            format,
            kind,
            data_dir,
        } => {
            let settings = settings_with_data_dir(data_dir)?;
            sankey_offline(&settings, &source, &format, &kind).await
        }
        Command::Report {
            calculation_id,
            format,
            output,
            data_dir,
        } => {
            let settings = settings_with_data_dir(data_dir)?;
            report_offline(&settings, &calculation_id, &format, &output).await
        }
    }
}

/// The service's state over the configured store, for CLI commands that
/// run a use case (no HTTP server).
async fn cli_state(data_dir: Option<PathBuf>) -> anyhow::Result<thermaliq_server::state::AppState> {
    let settings = settings_with_data_dir(data_dir)?;
    let store = open_store(&settings).await?;
    let cache = thermaliq_server::build_cache(&settings, "thermaliq:").await?;
    Ok(thermaliq_server::state::AppState::new(
        store, settings, cache,
    ))
}

/// Prints a use case's view as JSON, or its refusal (exit 1).
fn service_output<T: serde::Serialize>(
    outcome: Result<T, thermaliq_server::service::ServiceError>,
) -> anyhow::Result<ExitCode> {
    use thermaliq_server::service::ServiceError;
    match outcome {
        Ok(view) => {
            emit(&serde_json::to_string_pretty(&view)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(ServiceError::Invalid(details) | ServiceError::Unprocessable(details)) => {
            print_invalid(&details)
        }
        Err(ServiceError::NotFound(message)) => {
            eprintln!("{message}");
            Ok(ExitCode::from(1))
        }
        Err(other) => Err(other.into()),
    }
}

async fn baseline(command: BaselineCommand) -> anyhow::Result<ExitCode> {
    use thermaliq_server::service::analytics::baselines;
    use thermaliq_server::views::analytics::{BaselineView, PerformanceView};
    match command {
        BaselineCommand::Fit {
            facility_id,
            file,
            data_dir,
        } => {
            let body = read_input(&file)?;
            let request: baselines::BaselineRequest =
                match thermaliq_core::request::parse_json_document(&body) {
                    Ok(r) => r,
                    Err(CoreError::Validation(details)) => return print_invalid(&details),
                    Err(other) => return Err(other.into()),
                };
            let state = cli_state(data_dir).await?;
            let outcome = baselines::fit_baseline(&state, &facility_id, request, "cli").await;
            state.store.close().await;
            service_output(outcome.map(BaselineView::from))
        }
        BaselineCommand::Performance {
            facility_id,
            name,
            from,
            to,
            data_dir,
        } => {
            let (from, to) = match (
                thermaliq_server::extract::parse_instant("from", &from),
                thermaliq_server::extract::parse_instant("to", &to),
            ) {
                (Ok(f), Ok(t)) if t > f => (f, t),
                _ => anyhow::bail!(
                    "--from and --to must be RFC 3339 times or dates, --to after --from"
                ),
            };
            let state = cli_state(data_dir).await?;
            let outcome =
                baselines::baseline_performance(&state, &facility_id, &name, from, to).await;
            state.store.close().await;
            service_output(outcome.map(PerformanceView::from))
        }
    }
}

async fn token_command(command: TokenCommand) -> anyhow::Result<ExitCode> {
    use thermaliq_server::service::tokens;
    match command {
        TokenCommand::Create {
            name,
            scope,
            expires_in_days,
            data_dir,
        } => {
            let settings = settings_with_data_dir(data_dir)?;
            let scope = match scope {
                ScopeArg::Read => Scope::Read,
                ScopeArg::Calculate => Scope::Calculate,
                ScopeArg::Admin => Scope::Admin,
            };
            let store = open_store(&settings).await?;
            let created =
                tokens::create(store.as_ref(), &name, scope, expires_in_days, "cli").await;
            store.close().await;
            let created = created?;
            eprintln!(
                "created token {} '{name}' with scope {}{}; it is shown once:",
                created.record.token_id,
                scope.as_str(),
                created
                    .record
                    .expires_at
                    .and_then(|t| t
                        .format(&time::format_description::well_known::Rfc3339)
                        .ok())
                    .map(|t| format!(", expiring {t}"))
                    .unwrap_or_default()
            );
            println!("{}", created.token);
            Ok(ExitCode::SUCCESS)
        }
        TokenCommand::List { data_dir } => {
            let settings = settings_with_data_dir(data_dir)?;
            let store = open_store(&settings).await?;
            let listed = tokens::list(store.as_ref()).await;
            store.close().await;
            let now = time::OffsetDateTime::now_utc();
            let view = thermaliq_server::views::TokenListView {
                tokens: listed?
                    .iter()
                    .map(|t| thermaliq_server::views::TokenView::new(t, now))
                    .collect(),
            };
            emit(&serde_json::to_string_pretty(&view)?);
            Ok(ExitCode::SUCCESS)
        }
        TokenCommand::Revoke { name, data_dir } => {
            let settings = settings_with_data_dir(data_dir)?;
            let store = open_store(&settings).await?;
            let revoked = tokens::revoke(store.as_ref(), &name, "cli").await;
            store.close().await;
            match revoked {
                Ok(()) => {
                    eprintln!("revoked token '{name}'");
                    Ok(ExitCode::SUCCESS)
                }
                Err(thermaliq_server::service::ServiceError::NotFound(message)) => {
                    eprintln!("error: {message}");
                    Ok(ExitCode::from(1))
                }
                Err(err) => Err(err.into()),
            }
        }
    }
}

/// `thermaliq report CALC_ID --format pdf|html -o FILE`: the same report as
/// `GET /calculations/{id}/report.{pdf,html}`, from the store, no server.
async fn report_offline(
    settings: &Settings,
    calculation_id: &str,
    format: &str,
    output: &Path,
) -> anyhow::Result<ExitCode> {
    use thermaliq_server::report::{ReportFormat, render};
    use thermaliq_server::service::report::ReportOptions;
    use thermaliq_server::service::report_benchmark::calculation_report_with_benchmark;
    let format = ReportFormat::parse(format)
        .ok_or_else(|| anyhow::anyhow!("--format must be pdf or html, not '{format}'"))?;
    let store = open_store(settings).await?;
    let cache = thermaliq_server::build_cache(settings, "thermaliq:").await?;
    let state = thermaliq_server::state::AppState::new(store, settings.clone(), cache);
    let report =
        calculation_report_with_benchmark(&state, calculation_id, &ReportOptions::default()).await;
    state.store.close().await;
    let body = render(&report?, format);
    std::fs::write(output, &body).with_context(|| format!("cannot write {}", output.display()))?;
    eprintln!("wrote {} ({} bytes)", output.display(), body.len());
    Ok(ExitCode::SUCCESS)
}

async fn sankey_offline(
    settings: &Settings,
    source: &str,
    format: &str,
    kind: &str,
) -> anyhow::Result<ExitCode> {
    let format = sankey::Format::parse(format).map_err(|e| anyhow::anyhow!("--format: {e}"))?;
    let kind = match kind {
        "energy" => sankey::DiagramKind::Energy,
        "exergy" => sankey::DiagramKind::Exergy,
        other => anyhow::bail!("--kind must be energy or exergy, not '{other}'"),
    };
    let graph = if source.starts_with("CALC-") {
        let store = open_store(settings).await?;
        let record = store.get_calculation(source).await?;
        store.close().await;
        let record =
            record.ok_or_else(|| anyhow::anyhow!("calculation {source} does not exist"))?;
        match thermaliq_server::service::sankey::graph_for_record(&record, kind) {
            Ok(graph) => graph,
            Err(problem) => return print_invalid(&[problem]),
        }
    } else {
        let body = read_input(Path::new(source))?;
        match sankey::FlowGraph::from_json(&body) {
            Ok(graph) => graph,
            Err(e) => {
                return print_invalid(&[thermaliq_core::FieldProblem::new(
                    e.field(),
                    e.to_string(),
                )]);
            }
        }
    };
    let options = thermaliq_server::service::sankey::options(settings);
    match sankey::render(&graph, &options, format) {
        Ok(rendered) => {
            for warning in &rendered.warnings {
                eprintln!("warning: {warning}");
            }
            emit(&rendered.body);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => print_invalid(&[thermaliq_core::FieldProblem::new(e.field(), e.to_string())]),
    }
}

/// Writes a result to stdout. A closed pipe (`thermaliq ... | head`) ends the
/// process quietly, as Unix tools do, instead of panicking.
fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let written = out
        .write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    if let Err(err) = written {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write the result: {err}");
        std::process::exit(1);
    }
}

fn read_input(file: &Path) -> anyhow::Result<Vec<u8>> {
    let mut body = Vec::new();
    if file == Path::new("-") {
        std::io::stdin()
            .read_to_end(&mut body)
            .context("cannot read stdin")?;
    } else {
        body = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    }
    Ok(body)
}

/// Prints a validation error as the API would, and gives exit code 2.
fn print_invalid(details: &[thermaliq_core::FieldProblem]) -> anyhow::Result<ExitCode> {
    let error = serde_json::json!({"error": {"type": "ValidationError", "details": details}});
    emit(&serde_json::to_string_pretty(&error)?);
    Ok(ExitCode::from(2))
}

fn steam(args: &SteamArgs) -> anyhow::Result<ExitCode> {
    let given = [
        ("pressure_mpa", &args.pressure_mpa),
        ("pressure_bar", &args.pressure_bar),
        ("pressure_kpa", &args.pressure_kpa),
        ("temperature_k", &args.temperature_k),
        ("temperature_c", &args.temperature_c),
        ("enthalpy_kj_kg", &args.enthalpy_kj_kg),
        ("entropy_kj_kg_k", &args.entropy_kj_kg_k),
        ("quality", &args.quality),
        ("saturated", &args.saturated),
    ];
    let params = given
        .iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (*k, v)));
    let state = match thermaliq_core::steam::query_from_params(params)
        .and_then(|q| thermaliq_core::steam::resolve(&q))
    {
        Ok(state) => state,
        Err(CoreError::Validation(details)) => return print_invalid(&details),
        Err(other) => return Err(other.into()),
    };
    if args.json {
        emit(&serde_json::to_string_pretty(&state)?);
    } else {
        let value = serde_json::to_value(&state)?;
        if let Some(map) = value.as_object() {
            for (key, v) in map {
                println!("{key:<24} {v}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn combustion(file: &Path) -> anyhow::Result<ExitCode> {
    let body = read_input(file)?;
    let input: thermo::combustion::CombustionInput =
        match thermaliq_core::request::parse_json_document(&body) {
            Ok(input) => input,
            Err(CoreError::Validation(details)) => return print_invalid(&details),
            Err(other) => return Err(other.into()),
        };
    match thermo::combustion::analyze_combustion(&input) {
        Ok(result) => {
            emit(&serde_json::to_string_pretty(&result)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => match thermaliq_core::steam::thermo_problem("", err) {
            CoreError::Validation(details) => print_invalid(&details),
            other => Err(other.into()),
        },
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let server = start(settings).await?;
    shutdown_signal().await;
    tracing::info!("Shutdown signal received: draining in-flight requests");
    server
        .shutdown()
        .await
        .context("server stopped with an error")?;
    tracing::info!("Shutdown complete: store closed");
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Exit codes: 0 completed, 1 failed a strict-mode check, 2 invalid input.
fn calculate_offline(file: &Path) -> anyhow::Result<ExitCode> {
    let settings = load_settings(None)?;
    let mut body = Vec::new();
    if file == Path::new("-") {
        std::io::stdin()
            .read_to_end(&mut body)
            .context("cannot read stdin")?;
    } else {
        body = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    }
    // The batch shape of POST /calculate/batch: one result per item, in order.
    #[derive(serde::Deserialize)]
    struct Batch {
        calculations: Vec<Box<serde_json::value::RawValue>>,
    }
    if let Ok(batch) = serde_json::from_slice::<Batch>(&body) {
        let mut worst = ExitCode::SUCCESS;
        let results: Vec<serde_json::Value> = batch
            .calculations
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let (mut out, code) = offline_one(item.get().as_bytes(), &settings);
                if code != ExitCode::SUCCESS {
                    worst = code;
                }
                out["index"] = serde_json::json!(index);
                out
            })
            .collect();
        emit(&serde_json::to_string_pretty(
            &serde_json::json!({"count": results.len(), "results": results}),
        )?);
        return Ok(worst);
    }
    let (out, code) = offline_one(&body, &settings);
    emit(&serde_json::to_string_pretty(&out)?);
    Ok(code)
}

/// One offline calculation: its result (or error) and the exit code it means.
fn offline_one(body: &[u8], settings: &Settings) -> (serde_json::Value, ExitCode) {
    let validated = match parse_calculation_request(body) {
        Ok(v) => v,
        Err(CoreError::Validation(details)) => {
            let error =
                serde_json::json!({"error": {"type": "ValidationError", "details": details}});
            return (error, ExitCode::from(2));
        }
        Err(other) => {
            let error = serde_json::json!({"error": {"type": "InternalError", "message": other.to_string()}});
            return (error, ExitCode::from(3));
        }
    };
    let sealed = compute_and_seal(&validated.input, &settings.engine);
    let mut out = serde_json::to_value(&sealed.result).unwrap_or_default();
    out["facility_id"] = serde_json::json!(validated.input.facility_id);
    out["provenance"] = serde_json::json!({
        "input_hash": sealed.input_hash,
        "output_hash": sealed.output_hash,
        "engine_version": thermaliq_core::ENGINE_VERSION,
    });
    let code = match sealed.result.status {
        ResultStatus::Completed => ExitCode::SUCCESS,
        ResultStatus::Failed => ExitCode::from(1),
    };
    (out, code)
}
