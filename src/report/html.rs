//! The report's page: one HTML file with its style inline, its charts as
//! inline SVG, and nothing loaded from anywhere (no script, font, image or
//! style from outside). Its one inline script only adds a readout over the
//! occupancy charts; the page reads the same with scripts off. Every number
//! in a table carries its source: the file, row and column it was read
//! from, and the field's text (`data-file`, `data-row`, `data-col`,
//! `data-v`), so a reader or a test can find it again.

use super::charts::{self, Chart};
use super::palette;
use super::read::Cell;
use std::fmt::Write as _;

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// How a value is shown.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unit {
    /// A share (0.0216), shown as a percentage (2.16%).
    Share,
    /// A count or a mean count (1,861.8).
    Count,
    /// A duration in seconds, shown in the unit that reads best (2.82 h).
    Seconds,
    /// A difference of two shares (0.07985), shown in percentage points
    /// with the decimals given, signed (+7.985).
    Points(usize),
}

impl Unit {
    /// The value as text.
    pub fn show(self, v: f64) -> String {
        match self {
            Unit::Share => charts::pct_label(v),
            Unit::Count => charts::count_text(v),
            Unit::Seconds => charts::duration(v),
            Unit::Points(decimals) => crate::compare::console::points(v, decimals),
        }
    }

    /// Its name in `data-unit`.
    fn name(self) -> &'static str {
        match self {
            Unit::Share => "share",
            Unit::Count => "count",
            Unit::Seconds => "seconds",
            Unit::Points(_) => "points",
        }
    }
}

/// A value as an inline element carrying its source; a dash when the file
/// has no value (the quantity is undefined there).
pub fn value(cell: Option<&Cell>, unit: Unit) -> String {
    match cell {
        Some(c) => match c.value() {
            Some(v) => format!(
                "<span{} data-unit=\"{}\">{}</span>",
                charts::source_attrs(c),
                unit.name(),
                esc(&unit.show(v))
            ),
            None => format!(
                "<span{} class=\"na\" title=\"undefined: no value in the file\">—</span>",
                charts::source_attrs(c)
            ),
        },
        None => "<span class=\"na\">—</span>".into(),
    }
}

/// An interval as `low – high`, each end carrying its source.
pub fn interval(lo: Option<&Cell>, hi: Option<&Cell>, unit: Unit) -> String {
    match (lo, hi) {
        (Some(l), Some(h)) if l.value().is_some() && h.value().is_some() => {
            format!("{} – {}", value(Some(l), unit), value(Some(h), unit))
        }
        _ => "<span class=\"na\">—</span>".into(),
    }
}

/// A table: its header and rows of HTML cells; the first column is the
/// row's name, the others numbers.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    grouped_table(&[], header, rows)
}

/// A table under a row of group headings, each spanning some columns (an
/// empty name leaves its columns without one).
pub fn grouped_table(groups: &[(&str, usize)], header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<div class=\"scroll\"><table>\n<thead>");
    if !groups.is_empty() {
        out.push_str("<tr class=\"groups\">");
        for (name, span) in groups {
            let _ = write!(out, "<th colspan=\"{span}\">{}</th>", esc(name));
        }
        out.push_str("</tr>");
    }
    out.push_str("<tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in rows {
        out.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            if i == 0 {
                let _ = write!(out, "<th scope=\"row\">{c}</th>");
            } else {
                let _ = write!(out, "<td>{c}</td>");
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
    out
}

/// A legend: a swatch and a name per entry.
pub fn legend(entries: &[(String, plotters::style::RGBColor)]) -> String {
    let mut out = String::from("<div class=\"legend\">");
    for (name, colour) in entries {
        let _ = write!(
            out,
            "<span><i class=\"sw\" style=\"background:{}\"></i>{}</span>",
            palette::hex(*colour),
            esc(name)
        );
    }
    out.push_str("</div>\n");
    out
}

/// The page being written: its sections, the table of contents, and the
/// number of charts.
pub struct Page {
    title: String,
    header: String,
    toc: Vec<(String, String)>,
    body: String,
    /// Charts added so far.
    pub charts: usize,
    /// Whether a chart has a readout, for the page's script.
    readouts: bool,
    /// The footer's text, when not a result folder's.
    footer: Option<String>,
}

/// A chart of a [`Page::figure_grid`]: its title above it, its legend
/// (HTML, may be empty) and caption below.
pub struct Figure {
    /// The chart.
    pub chart: Chart,
    /// Its title.
    pub title: String,
    /// Its legend, HTML.
    pub legend: String,
    /// Its caption.
    pub caption: String,
}

impl Page {
    /// A page titled `title`, with `header` (HTML) under its heading.
    pub fn new(title: &str, header: String) -> Page {
        Page {
            title: title.to_string(),
            header,
            toc: Vec::new(),
            body: String::new(),
            charts: 0,
            readouts: false,
            footer: None,
        }
    }

    /// Replaces the footer, which otherwise speaks of a result folder's
    /// files and time series, with `text` (escaped).
    pub fn footer(&mut self, text: &str) {
        self.footer = Some(esc(text));
    }

    /// Opens a section `id` headed `heading`, listed in the contents.
    pub fn section(&mut self, id: &str, heading: &str) {
        if !self.body.is_empty() {
            self.body.push_str("</section>\n");
        }
        self.toc.push((id.to_string(), heading.to_string()));
        let _ = writeln!(
            self.body,
            "<section id=\"{}\">\n<h2>{}</h2>",
            esc(id),
            esc(heading)
        );
    }

    /// Adds HTML.
    pub fn push(&mut self, html: &str) {
        self.body.push_str(html);
    }

    /// Adds a subheading.
    pub fn h3(&mut self, text: &str) {
        let _ = writeln!(self.body, "<h3>{}</h3>", esc(text));
    }

    /// Adds a paragraph of text (escaped).
    pub fn note(&mut self, text: &str) {
        let _ = writeln!(self.body, "<p class=\"note\">{}</p>", esc(text));
    }

    /// Adds a chart with a caption (escaped) and a legend (HTML, may be
    /// empty) under it.
    pub fn chart(&mut self, chart: Chart, caption: &str, legend: &str) {
        self.charts += 1;
        // The readout's values: inert data, which only the page's script
        // reads (JSON of numbers and status names holds no "</").
        let readout = chart.readout.as_ref().map_or(String::new(), |json| {
            self.readouts = true;
            format!(
                "<script type=\"application/json\" data-readout=\"{}\">{json}</script>\n",
                esc(&chart.id)
            )
        });
        let _ = writeln!(
            self.body,
            "<figure>\n{}{readout}{legend}<figcaption>{}</figcaption>\n</figure>",
            chart.svg,
            esc(caption)
        );
    }

    /// Adds small charts side by side, three to a row, each with its
    /// caption.
    pub fn chart_grid(&mut self, charts: Vec<(Chart, String)>) {
        self.body.push_str("<div class=\"grid\">\n");
        for (chart, caption) in charts {
            self.charts += 1;
            let _ = writeln!(
                self.body,
                "<figure>\n<figcaption class=\"title\">{}</figcaption>\n{}</figure>",
                esc(&caption),
                chart.svg
            );
        }
        self.body.push_str("</div>\n");
    }

    /// Adds charts two to a row, each with its title, legend and caption.
    pub fn figure_grid(&mut self, figures: Vec<Figure>) {
        self.body.push_str("<div class=\"grid two\">\n");
        for f in figures {
            self.charts += 1;
            let _ = writeln!(
                self.body,
                "<figure>\n<figcaption class=\"title\">{}</figcaption>\n{}{}<figcaption>{}</figcaption>\n</figure>",
                esc(&f.title),
                f.chart.svg,
                f.legend,
                esc(&f.caption)
            );
        }
        self.body.push_str("</div>\n");
    }

    /// Takes on the charts and readouts of `inner`, whose sections this
    /// page holds (a sweep's point).
    pub fn absorb(&mut self, inner: Page) {
        self.charts += inner.charts;
        self.readouts |= inner.readouts;
        let body = inner.into_body();
        self.body.push_str(&body);
    }

    /// The sections alone, without the page around them (a sweep's point,
    /// inside the sweep's page).
    fn into_body(mut self) -> String {
        if !self.body.is_empty() {
            self.body.push_str("</section>\n");
        }
        self.body
    }

    /// The whole page.
    pub fn finish(mut self) -> String {
        if !self.body.is_empty() {
            self.body.push_str("</section>\n");
        }
        let mut toc = String::from("<nav><ol>");
        for (id, heading) in &self.toc {
            let _ = write!(
                toc,
                "<li><a href=\"#{}\">{}</a></li>",
                esc(id),
                esc(heading)
            );
        }
        toc.push_str("</ol></nav>\n");
        let footer = self.footer.take().unwrap_or_else(|| {
            format!(
                "Written by fleetsim {version}. Every number in the tables and every \
                 hover title comes from the result files, which are the record: each carries \
                 the file, row and column it was read from (data attributes). Time series are \
                 drawn from at most {max} points per series (every k-th sample for the stacked \
                 areas; the lowest and highest of each run of samples for lines and bands; \
                 fewer in each point of a sweep of more than four), never changing the files.",
                version = esc(env!("CARGO_PKG_VERSION")),
                max = charts::MAX_POINTS,
            )
        });
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"fleetsim {version}\">\n\
             <meta name=\"fleetsim-charts\" content=\"{charts}\">\n\
             <title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n\
             <header>\n<h1>{title}</h1>\n{header}</header>\n{toc}{body}\
             <footer>{footer}</footer>\n</main>\n{script}</body>\n</html>\n",
            version = esc(env!("CARGO_PKG_VERSION")),
            charts = self.charts,
            title = esc(&self.title),
            header = self.header,
            toc = toc,
            body = self.body,
            script = if self.readouts {
                format!("<script>\n{READOUT_SCRIPT}</script>\n")
            } else {
                String::new()
            },
        )
    }
}

/// The page's one script, a nicety: over an occupancy chart, a rule at the
/// pointer and the counts of each status at that sample, read from the
/// chart's readout. The page is complete without it.
const READOUT_SCRIPT: &str = r#"(function () {
  "use strict";
  function text(tag, content, cls) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    e.textContent = content;
    return e;
  }
  function setup(block) {
    var d = JSON.parse(block.textContent);
    var svg = document.querySelector('svg[data-chart="' + block.getAttribute("data-readout") + '"]');
    if (!svg || !svg.createSVGPoint || !d.px.length) return;
    var rule = svg.querySelector(".rule");
    var figure = svg.parentNode;
    var tip = document.createElement("div");
    tip.className = "readout";
    tip.hidden = true;
    figure.style.position = "relative";
    figure.appendChild(tip);
    function hide() {
      tip.hidden = true;
      if (rule) rule.setAttribute("visibility", "hidden");
    }
    svg.addEventListener("mousemove", function (e) {
      var m = svg.getScreenCTM();
      if (!m) return;
      var p = svg.createSVGPoint();
      p.x = e.clientX;
      p.y = e.clientY;
      var q = p.matrixTransform(m.inverse());
      var last = d.px.length - 1;
      if (q.x < d.px[0] || q.x > d.px[last] || q.y < d.top || q.y > d.bottom) return hide();
      var lo = 0, hi = last;
      while (hi - lo > 1) {
        var mid = (lo + hi) >> 1;
        if (d.px[mid] <= q.x) lo = mid; else hi = mid;
      }
      var k = q.x - d.px[lo] <= d.px[hi] - q.x ? lo : hi;
      if (rule) {
        rule.setAttribute("x1", d.px[k]);
        rule.setAttribute("x2", d.px[k]);
        rule.setAttribute("visibility", "visible");
      }
      tip.textContent = "";
      tip.appendChild(text("b", d.t[k]));
      var total = 0;
      for (var j = d.s.length - 1; j >= 0; j--) {
        var v = d.s[j][2][k];
        total += v;
        if (v > 0) {
          var row = text("div", d.s[j][0] + " " + v.toLocaleString("en-US"));
          var sw = text("i", "", "sw");
          sw.style.background = d.s[j][1];
          row.insertBefore(sw, row.firstChild);
          tip.appendChild(row);
        }
      }
      tip.appendChild(text("div", "all " + (Math.round(total * 100) / 100).toLocaleString("en-US"), "all"));
      var f = figure.getBoundingClientRect();
      tip.hidden = false;
      var left = e.clientX - f.left + 16;
      if (left + tip.offsetWidth > f.width) left = e.clientX - f.left - 16 - tip.offsetWidth;
      tip.style.left = left + "px";
      tip.style.top = (e.clientY - f.top + 12) + "px";
    });
    svg.addEventListener("mouseleave", hide);
  }
  var blocks = document.querySelectorAll("script[data-readout]");
  for (var i = 0; i < blocks.length; i++) setup(blocks[i]);
})();
"#;

/// The page's style: readable at 1280 px, charts scaled to the column.
const STYLE: &str = r#"
:root { color-scheme: light; }
body { margin: 0; background: #eef0f2; color: #222;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", "Liberation Sans", sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 18px 28px 40px; background: #fff; min-height: 100vh; box-sizing: border-box; }
h1 { font-size: 27px; margin: 6px 0 10px; }
h2 { font-size: 21px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #d8dadd; }
h3 { font-size: 17px; margin: 22px 0 6px; }
h4 { font-size: 15px; margin: 16px 0 4px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr max-content 1fr max-content 1fr; gap: 3px 14px; margin: 0 0 8px; }
dl.facts dt { color: #666; }
dl.facts dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
nav ol { display: flex; flex-wrap: wrap; gap: 4px 18px; list-style: none; padding: 8px 0; margin: 0; border-top: 1px solid #e4e4e4; border-bottom: 1px solid #e4e4e4; }
nav a, footer a { color: #0b5cad; text-decoration: none; }
figure { margin: 8px 0 18px; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { color: #555; font-size: 13.5px; margin-top: 2px; }
figcaption.title { color: #222; font-size: 14.5px; font-weight: 600; margin: 0 0 2px 8px; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", "Liberation Sans", sans-serif; }
svg .hover rect, svg .hover circle { fill: #000; fill-opacity: 0; }
svg .hover g:hover rect { fill-opacity: 0.06; }
svg .hover g:hover circle { fill-opacity: 0.18; }
.legend { display: flex; flex-wrap: wrap; gap: 3px 16px; font-size: 13.5px; margin: 2px 0 0 72px; }
.sw { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; border: 1px solid rgba(0,0,0,.15); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 14px; margin: 6px 0 14px; }
th, td { padding: 3px 10px; border-bottom: 1px solid #ececec; text-align: right; white-space: nowrap; }
thead th { border-bottom: 2px solid #cfd2d6; background: #f7f8f9; font-weight: 600; }
thead tr.groups th { border-bottom: 1px solid #cfd2d6; text-align: center; color: #555; font-weight: 500; }
thead tr.groups th:empty { border-bottom: none; }
tbody th { text-align: left; font-weight: 600; }
td { font-variant-numeric: tabular-nums; }
tbody tr:hover { background: #f5f8fc; }
.na { color: #999; }
.sig { font-weight: 600; }
ul.notes { padding-left: 20px; }
ul.notes li { margin: 3px 0; }
.note { color: #555; font-size: 14px; margin: 4px 0 10px; }
.headline { font-size: 17px; margin: 4px 0 8px; }
.readout { position: absolute; z-index: 2; pointer-events: none; background: #fff; border: 1px solid #c9ccd0; border-radius: 4px; box-shadow: 0 2px 6px rgba(0,0,0,.15); padding: 6px 9px; font-size: 12.5px; line-height: 1.4; white-space: nowrap; font-variant-numeric: tabular-nums; }
.readout .all { border-top: 1px solid #e4e4e4; margin-top: 3px; padding-top: 2px; color: #555; }
.kinds { display: flex; flex-wrap: wrap; gap: 0 56px; }
.grid { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 4px 18px; }
.grid.two { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 10px 24px; }
.grid.two .legend { margin-left: 8px; }
details { margin: 10px 0; }
details > summary { cursor: pointer; font-weight: 600; padding: 4px 0; }
details.point { border: 1px solid #e1e3e6; border-radius: 4px; padding: 2px 14px; }
pre.scenario { max-height: 640px; overflow: auto; background: #f7f8f9; border: 1px solid #e4e4e4; padding: 10px 12px; font-size: 12.5px; line-height: 1.35; }
footer { margin-top: 40px; padding-top: 10px; border-top: 1px solid #e4e4e4; color: #666; font-size: 13px; }
@media print { body { background: #fff; } main { max-width: none; } details { display: block; } }
"#;

/// The facts of the header, as a grid of names and values (values are
/// HTML).
pub fn facts(items: &[(&str, String)]) -> String {
    let mut out = String::from("<dl class=\"facts\">\n");
    for (name, v) in items {
        let _ = writeln!(out, "<dt>{}</dt><dd>{v}</dd>", esc(name));
    }
    out.push_str("</dl>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
