//! Console logs in the original's shape: `<ISO time+offset> [<subsystem>] <message>`.
//!
//! The subsystem is the tracing target (`tracing::info!(target: "gateway", …)`). Logs go
//! to stdout, refusals to stderr (see `cli`). Secrets are never formatted into messages:
//! they travel as [`crate::secret::Secret`], which prints `***`.

use std::fmt;

use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormattedFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the console logger; `verbose` adds debug lines. Safe to call more than once
/// (later calls are ignored), so embedding binaries may have set up their own.
pub fn init(verbose: bool) {
    let level = if verbose {
        tracing::Level::DEBUG
    } else {
        tracing::Level::INFO
    };
    // The channel runners report connection problems in their own words (one line
    // per problem); serenity's and teloxide's internal logs would repeat them.
    let filter = tracing_subscriber::filter::Targets::new()
        .with_default(level)
        .with_target("serenity", tracing::level_filters::LevelFilter::OFF)
        .with_target("teloxide", tracing::level_filters::LevelFilter::OFF)
        .with_target("teloxide_core", tracing::level_filters::LevelFilter::OFF);
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stdout)
        .event_format(ConsoleFormat)
        .finish()
        .with(filter)
        .with(crate::logs::file::FileLayer::new())
        .try_init();
}

/// Local time with millisecond precision and UTC offset, as the original prints it.
pub fn timestamp() -> String {
    jiff::Zoned::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string()
}

struct ConsoleFormat;

impl<S, N> FormatEvent<S, N> for ConsoleFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let subsystem = meta.target().rsplit("::").next().unwrap_or("gateway");
        write!(writer, "{} [{subsystem}] ", timestamp())?;
        match *meta.level() {
            tracing::Level::WARN => writer.write_str("warning: ")?,
            tracing::Level::ERROR => writer.write_str("error: ")?,
            _ => {}
        }
        ctx.format_fields(writer.by_ref(), event)?;
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                if let Some(fields) = span.extensions().get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    write!(writer, " {fields}")?;
                }
            }
        }
        writeln!(writer)
    }
}
