//! One analysis as CSV: the metrics in the units the page shows, the events, and the confidence,
//! one row each, with the unit in its own column.

use airtime_kinematics::Analysis;

use crate::labels::{event_label, metric_rows};

pub fn analysis_csv(analysis: &Analysis) -> String {
    let result = &analysis.result;
    let mut out = String::from("section,name,label,value,unit\n");
    for row in metric_rows(&result.metrics) {
        push_row(
            &mut out,
            [
                "metric",
                &row.display_key(),
                row.label,
                &row.value_text(),
                row.unit,
            ],
        );
    }
    for event in &result.events {
        push_row(
            &mut out,
            [
                "event",
                &event.name,
                &event_label(&event.name),
                &format!("{:.3}", event.time_s),
                "s",
            ],
        );
    }
    push_row(
        &mut out,
        [
            "summary",
            "jump_type",
            "Jump type",
            result.jump_type.code(),
            "",
        ],
    );
    push_row(
        &mut out,
        [
            "summary",
            "confidence",
            "Confidence",
            &format!("{:.2}", result.confidence),
            "0-1",
        ],
    );
    for warning in &result.warnings {
        push_row(
            &mut out,
            ["warning", &warning.code, &warning.message, "", ""],
        );
    }
    out
}

fn push_row(out: &mut String, cells: [&str; 5]) {
    let line: Vec<String> = cells.iter().map(|cell| escape(cell)).collect();
    out.push_str(&line.join(","));
    out.push('\n');
}

/// A cell of user-typed text (an athlete's name), safe in any CSV.
pub fn csv_cell(text: &str) -> String {
    escape(text)
}

/// Quotes cells with separators or quotes, and defuses cells a spreadsheet would run as a formula.
fn escape(cell: &str) -> String {
    let cell = if cell.starts_with(['=', '+', '@'])
        || (cell.starts_with('-') && cell.parse::<f64>().is_err())
    {
        format!("'{cell}")
    } else {
        cell.to_string()
    };
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(escape("a,b"), "\"a,b\"");
        assert_eq!(escape("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(escape("=1+1"), "'=1+1");
        assert_eq!(escape("-0.25"), "-0.25");
    }
}
