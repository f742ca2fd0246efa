//! Parses the `showinfo` filter's log lines, the only place ffmpeg reports each output frame's
//! own presentation timestamp.

/// Which of the two showinfo instances in the decode graph printed the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tap {
    /// Before `select`: every decoded frame, `n` is the original frame index.
    Source,
    /// After `scale`: the frames written to the pipe, in order.
    Output,
}

pub(crate) const SOURCE_NAME: &str = "showinfo@airtime_src";
pub(crate) const OUTPUT_NAME: &str = "showinfo@airtime_out";

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Line {
    /// `config in time_base: 1/600, ...`
    TimeBase { tap: Tap, num: i64, den: i64 },
    /// `n: 12 pts: 7680 pts_time:0.5 ... s:640x360 ...`; `pts` is None for NOPTS.
    Frame {
        tap: Tap,
        n: u64,
        pts: Option<i64>,
        pts_time: Option<f64>,
        /// Picture size (`s:WxH`).
        size: Option<(u32, u32)>,
        /// Pixel format (`fmt:yuv422p`).
        format: Option<String>,
    },
    /// `color_range:tv color_space:bt709 …`, logged right after each frame's line.
    Colour {
        tap: Tap,
        range: String,
        space: String,
    },
}

/// `[showinfo@airtime_src @ 0x55…] [info] n:   3 pts:   1536 pts_time:0.1 …`
pub(crate) fn parse(line: &str) -> Option<Line> {
    let tap = if line.starts_with(&format!("[{SOURCE_NAME} @")) {
        Tap::Source
    } else if line.starts_with(&format!("[{OUTPUT_NAME} @")) {
        Tap::Output
    } else {
        return None;
    };
    let body = super::process::strip_log_prefixes(line);
    if let Some(rest) = body.strip_prefix("config in time_base:") {
        let tb = rest.split(',').next()?.trim();
        let (num, den) = tb.split_once('/')?;
        let (num, den) = (num.parse().ok()?, den.parse().ok()?);
        if num <= 0 || den <= 0 {
            return None;
        }
        return Some(Line::TimeBase { tap, num, den });
    }
    if body.starts_with("color_range:") {
        let field = |key| value_after(body, key).unwrap_or("unknown").to_string();
        return Some(Line::Colour {
            tap,
            range: field("color_range:"),
            space: field("color_space:"),
        });
    }
    let rest = body.strip_prefix("n:")?;
    let n = rest.split_whitespace().next()?.parse().ok()?;
    let pts = value_after(rest, "pts:").and_then(|v| v.parse().ok());
    let pts_time = value_after(rest, "pts_time:").and_then(|v| v.parse().ok());
    let size = value_after(rest, "s:").and_then(|v| {
        let (w, h) = v.split_once('x')?;
        Some((w.parse().ok()?, h.parse().ok()?))
    });
    let format = value_after(rest, "fmt:").map(str::to_string);
    Some(Line::Frame {
        tap,
        n,
        pts,
        pts_time,
        size,
        format,
    })
}

/// showinfo pads values with spaces after the colon ("pts:   1536").
fn value_after<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(i) = s[from..].find(key) {
        let at = from + i;
        // "pts:" also occurs inside "pkt_pts:" in some versions; require a word boundary.
        if at == 0 || s.as_bytes()[at - 1] == b' ' {
            return s[at + key.len()..].split_whitespace().next();
        }
        from = at + key.len();
    }
    None
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn parses_frame_and_timebase_lines() {
        let l = "[showinfo@airtime_src @ 0x556878e69540] [info] n:   3 pts:   1536 pts_time:0.1     pos:     4988 fmt:yuv420p sar:1/1 s:362x640 i:P iskey:1";
        assert_eq!(
            parse(l),
            Some(Line::Frame {
                tap: Tap::Source,
                n: 3,
                pts: Some(1536),
                pts_time: Some(0.1),
                size: Some((362, 640)),
                format: Some("yuv420p".to_string()),
            })
        );
        let l = "[showinfo@airtime_out @ 0x1] [info] color_range:pc color_space:bt709 color_primaries:bt709 color_trc:bt709";
        assert_eq!(
            parse(l),
            Some(Line::Colour {
                tap: Tap::Output,
                range: "pc".to_string(),
                space: "bt709".to_string(),
            })
        );
        let l =
            "[showinfo@airtime_out @ 0x1] [info] config in time_base: 1/15360, frame_rate: 30/1";
        assert_eq!(
            parse(l),
            Some(Line::TimeBase {
                tap: Tap::Output,
                num: 1,
                den: 15360
            })
        );
        let l = "[showinfo@airtime_out @ 0x1] [info] n:   0 pts:NOPTS pts_time:NOPTS pos: 1";
        assert!(matches!(parse(l), Some(Line::Frame { pts: None, .. })));
        assert_eq!(parse("[info] Stream mapping:"), None);
        assert_eq!(parse("[showinfo@airtime_src @ 0x1] [info] UUID=dc45"), None);
    }
}
