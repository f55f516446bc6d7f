//! Reports as data: a title block and sections of paragraphs, key/value
//! lists, tables and a Sankey diagram. `service::report` fills a [`Report`]
//! from the store; [`html`] and [`pdf`] only draw it, so both formats say
//! exactly the same thing.

pub mod html;
pub mod pdf;
mod winansi;

/// A finished report, ready to render.
#[derive(Debug, Clone)]
pub struct Report {
    pub title: String,
    /// The subject's id (calculation or facility), printed under the title.
    pub subject_id: String,
    /// Lines of the title block under the title (facility, period, generated at).
    pub title_block: Vec<(String, String)>,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone)]
pub struct Section {
    pub heading: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
pub enum Block {
    Paragraph(String),
    /// Label and value pairs.
    Facts(Vec<(String, String)>),
    Table {
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// A laid-out Sankey diagram (the same layout the SVG endpoint draws).
    Sankey(Box<sankey::Diagram>),
    /// Monospaced text (hashes, commands).
    Code(String),
}

impl Section {
    pub fn new(heading: impl Into<String>) -> Section {
        Section {
            heading: heading.into(),
            blocks: Vec::new(),
        }
    }

    pub fn with(mut self, block: Block) -> Section {
        self.blocks.push(block);
        self
    }
}

/// The output format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Html,
    Pdf,
}

impl ReportFormat {
    pub fn parse(s: &str) -> Option<ReportFormat> {
        match s {
            "html" => Some(ReportFormat::Html),
            "pdf" => Some(ReportFormat::Pdf),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Html => "text/html; charset=utf-8",
            ReportFormat::Pdf => "application/pdf",
        }
    }
}

/// Renders `report` in `format`.
pub fn render(report: &Report, format: ReportFormat) -> Vec<u8> {
    match format {
        ReportFormat::Html => html::render(report).into_bytes(),
        ReportFormat::Pdf => pdf::render(report),
    }
}
