#include "render/report_pdf.hpp"

#include <cairo-pdf.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "render/cairo.hpp"
#include "render/typeset.hpp"

namespace juwei::render {
namespace {

using typeset::kMm;
using typeset::kPageHeight;
using typeset::kPageWidth;
constexpr double kMarginX = 15 * kMm;
constexpr double kMarginTop = 13 * kMm;
constexpr double kMarginBottom = 11 * kMm;
constexpr double kWidth = kPageWidth - 2 * kMarginX;
constexpr double kBlockGap = 3 * kMm;        // between the head, figures, groups and lists
constexpr double kColumnGap = 6 * kMm;       // between columns of figures or of a list's rows
constexpr double kValueGap = 2 * kMm;        // at least, between a label and its value
constexpr double kSectionGap = 1.6 * kMm;    // above a heading inside a column of figures
constexpr double kHeadingPad = 0.6 * kMm;    // around a heading's text, inside its band
constexpr double kHeadingAfter = 0.8 * kMm;  // between a heading's band and what it heads
constexpr double kGroupGap = 0.6 * kMm;      // below each group's line
constexpr int kGroupLines = 2;               // a group's names take at most this many lines, unless
constexpr int kMaxGroupLines = 6;            // the lists leave room for up to this many
constexpr int kMaxListColumns = 3;           // a list's rows, side by side
constexpr double kCellSlack = 12 * kMm;      // a list's cell: wider than its widest row by this,
constexpr double kMinCell = 50 * kMm;        // and this wide at least
constexpr std::size_t kMeasuredRows = 200;   // a list's columns are judged by its first rows
constexpr double kSignLine = 38 * kMm;       // each blank to sign or date on

// fonts-noto-cjk; the serif family, not Noto Sans CJK SC, whose regular 如 cairo 1.16 embeds
// empty (pdf.cpp). The monospace face is only given the proof line's Latin letters and digits.
constexpr char kSerif[] = "Noto Serif CJK SC";
constexpr char kMono[] = "Noto Sans Mono CJK SC";

struct Style {
  double size;  // pt
  PangoWeight weight = PANGO_WEIGHT_NORMAL;
  double grey = 0;  // 0 black, 1 white
  const char* family = kSerif;
  bool tabular = false;  // figures of one width, so that numbers line up
};

constexpr Style kTitle{.size = 18, .weight = PANGO_WEIGHT_BOLD};
constexpr Style kSubtitle{.size = 10.5, .grey = 0.2};
constexpr Style kNote{.size = 9, .grey = 0.35};
constexpr Style kHeading{.size = 10, .weight = PANGO_WEIGHT_BOLD};
constexpr Style kGroupLabel{.size = 9.5, .weight = PANGO_WEIGHT_BOLD};
constexpr Style kGroupText{.size = 9.5};
constexpr Style kGroupValue{.size = 9.5, .tabular = true};
constexpr Style kListText{.size = 9};
constexpr Style kListValue{.size = 9, .tabular = true};
constexpr Style kListMore{.size = 9, .grey = 0.35};
constexpr Style kProofLabel{.size = 8, .grey = 0.2};
constexpr Style kProof{.size = 7.5, .grey = 0.2, .family = kMono};
constexpr Style kSigner{.size = 10.5};
constexpr Style kFooter{.size = 7.5, .grey = 0.4};
constexpr double kHeadingBand = 0.9;  // the grey behind a heading
constexpr double kRowRule = 0.82;     // the hairline under a row of figures

// The figures' type and columns, tried in order until they fit their share of the page.
struct Setting {
  int columns;
  double size;          // pt
  double height_share;  // of the space between the header and the foot
};
constexpr Setting kSettings[] = {
    {2, 10, 0.32}, {3, 9.5, 0.55}, {3, 8.5, 0.55}, {4, 8, 0.55}, {4, 7, 0.55}};

// A laid-out text and the grey it is drawn in. The Page that made it owns the layout.
struct Text {
  PangoLayout* layout = nullptr;
  double grey = 0;

  double width() const {
    int w = 0;
    pango_layout_get_size(layout, &w, nullptr);
    return pango_units_to_double(w);
  }
  double height() const {
    int h = 0;
    pango_layout_get_size(layout, nullptr, &h);
    return pango_units_to_double(h);
  }
  double baseline() const { return pango_units_to_double(pango_layout_get_baseline(layout)); }
  int lines() const { return pango_layout_get_line_count(layout); }
};

enum class Fit : std::uint8_t { wrap, one_line };

// The one A4 page: texts are made, measured, then drawn where they go.
class Page {
 public:
  explicit Page(std::string_view title)
      : m_surface(cairo_pdf_surface_create_for_stream(cairo::append_to_string, &m_pdf, kPageWidth,
                                                      kPageHeight)),
        m_cr(cairo_create(m_surface.get())),
        m_context(pango_font_map_create_context(typeset::font_map())) {
    cairo::check(cairo_status(m_cr.get()), "creating a PDF");
    cairo_pdf_surface_set_metadata(m_surface.get(), CAIRO_PDF_METADATA_TITLE,
                                   typeset::valid_utf8(title).c_str());
    cairo_pdf_surface_set_metadata(m_surface.get(), CAIRO_PDF_METADATA_CREATOR, "Juwei");
    pango_cairo_update_context(m_cr.get(), m_context.get());
    // Chinese text: Pango prefers Simplified Chinese glyphs and breaks lines between characters.
    pango_context_set_language(m_context.get(), pango_language_from_string("zh-cn"));
  }
  Page(const Page&) = delete;
  Page& operator=(const Page&) = delete;

  // `utf8` laid out `width` wide (negative: as wide as it is), wrapped or on one line cut
  // with "…"; kept until finish().
  Text text(std::string_view utf8, const Style& style, double width = -1, Fit fit = Fit::wrap) {
    cairo::Layout layout(pango_layout_new(m_context.get()));
    const cairo::FontDescription font(pango_font_description_new());
    pango_font_description_set_family_static(font.get(), style.family);
    pango_font_description_set_weight(font.get(), style.weight);
    // Absolute: one device unit is one point here, whatever resolution Pango assumes.
    pango_font_description_set_absolute_size(font.get(), style.size * PANGO_SCALE);
    pango_layout_set_font_description(layout.get(), font.get());
    pango_layout_set_width(layout.get(), width < 0 ? -1 : pango_units_from_double(width));
    pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
    if (fit == Fit::one_line) pango_layout_set_ellipsize(layout.get(), PANGO_ELLIPSIZE_END);
    if (style.tabular) {
      const std::unique_ptr<PangoAttrList, cairo::Deleter<pango_attr_list_unref>> attrs(
          pango_attr_list_new());
      pango_attr_list_insert(attrs.get(), pango_attr_font_features_new("tnum"));
      pango_layout_set_attributes(layout.get(), attrs.get());
    }
    pango_layout_set_text(layout.get(), typeset::valid_utf8(utf8).c_str(), -1);
    m_layouts.push_back(std::move(layout));
    return {m_layouts.back().get(), style.grey};
  }

  // Draws `text` with its top left at (x, top).
  void draw(const Text& text, double x, double top) {
    cairo_set_source_rgb(cr(), text.grey, text.grey, text.grey);
    cairo_move_to(cr(), x, top);
    pango_cairo_show_layout(cr(), text.layout);
  }
  // Draws `text` ending at `right`.
  void draw_right(const Text& text, double right, double top) {
    draw(text, right - text.width(), top);
  }
  void rule(double x0, double x1, double y, double grey, double line_width) {
    cairo_set_source_rgb(cr(), grey, grey, grey);
    cairo_set_line_width(cr(), line_width);
    cairo_move_to(cr(), x0, y);
    cairo_line_to(cr(), x1, y);
    cairo_stroke(cr());
  }
  void band(double x, double top, double width, double height, double grey) {
    cairo_set_source_rgb(cr(), grey, grey, grey);
    cairo_rectangle(cr(), x, top, width, height);
    cairo_fill(cr());
  }
  cairo_t* cr() { return m_cr.get(); }

  std::string finish() && {
    cairo_show_page(cr());
    cairo::check(cairo_status(cr()), "drawing a PDF");
    cairo_surface_finish(m_surface.get());
    cairo::check(cairo_surface_status(m_surface.get()), "writing a PDF");
    return std::move(m_pdf);
  }

 private:
  std::string m_pdf;  // declared before m_surface, which writes into it until destroyed
  cairo::Surface m_surface;
  cairo::Context m_cr;
  cairo::Object<PangoContext> m_context;
  std::vector<cairo::Layout> m_layouts;
};

// A heading in its grey band, `width` wide, its top at `top`.
void draw_heading(Page& page, const Text& heading, double x, double top, double width) {
  page.band(x, top, width, heading.height() + 2 * kHeadingPad, kHeadingBand);
  page.draw(heading, x + kHeadingPad * 2, top + kHeadingPad);
}
double heading_height(const Text& heading) {
  return heading.height() + 2 * kHeadingPad;
}

// ---- The figures, in columns ----

// One line of the figures: a section's heading (no value) or one of its rows.
struct Entry {
  std::size_t section;
  Text label;
  std::optional<Text> value;
  double height;
};

// Where an entry goes: its column and its top within the figures; or, with `continued` and no
// entry, the heading of a section continued from the column before.
struct Placed {
  int column;
  double top;
  const Entry* entry;
  std::optional<Text> continued;
};

struct Columns {
  std::vector<Placed> placed;
  std::size_t rows_left = 0;  // rows that did not fit
  double height = 0;          // of the tallest column
  double last_end = 0;        // where the last column ends, when rows did not fit
};

class Figures {
 public:
  Figures(Page& page, const std::vector<ReportDoc::Section>& sections, const Setting& setting)
      : m_page(page),
        m_setting(setting),
        m_heading_style{.size = setting.size + 0.5, .weight = PANGO_WEIGHT_BOLD},
        m_column_width((kWidth - (setting.columns - 1) * kColumnGap) / setting.columns) {
    const Style label{.size = setting.size};
    const Style value{.size = setting.size, .tabular = true};
    // The values make a column as wide as the widest of them (at most 40% of a column).
    std::vector<std::vector<Text>> values;
    double value_width = 0;
    for (const ReportDoc::Section& s : sections) {
      values.emplace_back();
      for (const ReportDoc::Row& row : s.rows) {
        values.back().push_back(page.text(row.value, value));
        value_width = std::max(value_width, values.back().back().width());
      }
    }
    m_value_width = std::min(value_width, 0.4 * m_column_width);
    const double label_width = m_column_width - m_value_width - kValueGap;
    for (std::size_t i = 0; i < sections.size(); ++i) {
      const Text heading =
          page.text(sections[i].name, m_heading_style, m_column_width, Fit::one_line);
      m_entries.push_back({i, heading, std::nullopt, heading_height(heading)});
      m_section_height.push_back(heading_height(heading));
      m_continued.push_back(page.text(fmt::format("{}（续）", sections[i].name), m_heading_style,
                                      m_column_width, Fit::one_line));
      for (std::size_t r = 0; r < sections[i].rows.size(); ++r) {
        const Text l = page.text(sections[i].rows[r].label, label, label_width);
        const Text& v = values[i][r];
        m_entries.push_back({i, l, v, std::max(l.height(), v.height()) + 0.3 * kMm});
        m_section_height.back() += m_entries.back().height;
      }
    }
    m_line_height = page.text("0", label).height() + 0.3 * kMm;
  }

  double total_height() const {
    double total = 0;
    for (const Entry& e : m_entries)
      total += e.height + (e.value ? 0 : kSectionGap);
    return total;
  }

  // The entries poured into the columns, each at most `limit` high; a heading stays with its
  // first row (`whole`: with all its rows, when they fit in a column), and a section continued
  // in the next column gets its heading again. With `reserve`, the last column keeps room for
  // one more line at its foot.
  Columns pour(double limit, bool whole, bool reserve = false) {
    Columns out;
    int column = 0;
    double y = 0;
    for (std::size_t i = 0; i < m_entries.size(); ++i) {
      const Entry& e = m_entries[i];
      const bool heading = !e.value;
      const double room = limit - (reserve && column + 1 == m_setting.columns ? m_line_height : 0);
      double need = e.height;
      if (heading && whole && m_section_height[e.section] <= room) {
        need = m_section_height[e.section];
      } else if (heading && i + 1 < m_entries.size() && m_entries[i + 1].value) {
        need += m_entries[i + 1].height;
      }
      double gap = heading && y > 0 ? kSectionGap : 0;
      if (y + gap + need > room && y > 0) {
        if (++column == m_setting.columns) {
          out.last_end = y;
          for (std::size_t j = i; j < m_entries.size(); ++j)
            out.rows_left += m_entries[j].value ? 1 : 0;
          return out;
        }
        y = 0;
        gap = 0;
        if (!heading) {
          const Text& again = m_continued[e.section];
          out.placed.push_back({column, 0, nullptr, again});
          y += heading_height(again);
        }
      }
      y += gap;
      out.placed.push_back({column, y, &e, std::nullopt});
      y += e.height;
      out.height = std::max(out.height, y);
    }
    return out;
  }

  // The shortest pour into the columns no higher than `limit`, if one holds every row: with
  // the sections whole unless that makes the columns more than two lines taller.
  std::optional<Columns> fit(double limit) {
    const auto shortest = [&](bool whole) -> std::optional<Columns> {
      for (double h = total_height() / m_setting.columns; h <= limit + 0.01; h += 2) {
        Columns c = pour(std::min(h, limit), whole);
        if (c.rows_left == 0) return c;
      }
      return std::nullopt;
    };
    auto split = shortest(false);
    if (!split) return std::nullopt;
    auto whole = shortest(true);
    if (whole && whole->height <= split->height + 2 * m_line_height) return whole;
    return split;
  }

  void draw(const Columns& columns, double top) {
    for (const Placed& p : columns.placed) {
      const double x = kMarginX + p.column * (m_column_width + kColumnGap);
      const double y = top + p.top;
      if (p.continued) {
        draw_heading(m_page, *p.continued, x, y, m_column_width);
      } else if (!p.entry->value) {
        draw_heading(m_page, p.entry->label, x, y, m_column_width);
      } else {
        m_page.draw(p.entry->label, x, y);
        // The value on the label's first baseline.
        const Text& v = *p.entry->value;
        m_page.draw_right(v, x + m_column_width, y + p.entry->label.baseline() - v.baseline());
        m_page.rule(x, x + m_column_width, y + p.entry->height - 0.15 * kMm, kRowRule, 0.3);
      }
    }
    if (columns.rows_left > 0) {
      const double x = kMarginX + (m_setting.columns - 1) * (m_column_width + kColumnGap);
      const Text more =
          m_page.text(fmt::format("……另 {} 项未列出", columns.rows_left),
                      Style{.size = m_setting.size, .grey = 0.35}, m_column_width, Fit::one_line);
      m_page.draw(more, x, top + columns.last_end);
    }
  }

  double line_height() const { return m_line_height; }

 private:
  Page& m_page;
  Setting m_setting;
  Style m_heading_style;
  double m_column_width;
  double m_value_width = 0;
  double m_line_height = 0;
  std::vector<Entry> m_entries;
  std::vector<Text> m_continued;         // each section's heading where it continues
  std::vector<double> m_section_height;  // each section's, heading and rows
};

// Draws the figures from `top` in the first setting that holds them in its share of
// `available` (or in what `rest`, the height the groups and lists want, leaves of it), or, when
// none does, the last setting with what fits; returns their height.
double draw_figures(Page& page, const std::vector<ReportDoc::Section>& sections, double top,
                    double available, double rest) {
  if (sections.empty()) return 0;
  // A setting of more than two columns may also take what the rest of the page leaves.
  const auto limit = [&](const Setting& s) {
    return s.columns > 2 ? std::max(s.height_share * available, available - rest)
                         : s.height_share * available;
  };
  for (const Setting& setting : kSettings) {
    Figures figures(page, sections, setting);
    if (const auto columns = figures.fit(limit(setting))) {
      figures.draw(*columns, top);
      return columns->height;
    }
  }
  const Setting& last = std::end(kSettings)[-1];
  Figures figures(page, sections, last);
  const Columns columns = figures.pour(limit(last), false, true);
  figures.draw(columns, top);
  return std::max(columns.height, columns.last_end + figures.line_height());
}

// ---- Groups of names ----

std::string joined(const std::vector<std::string>& names, std::size_t count) {
  std::string text;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) text += "、";
    text += names[i];
  }
  return text;
}

// The names of `group` laid out `width` wide in at most `lines` lines: all of them, or as many
// as fit followed by "等 N <unit>".
Text group_names(Page& page, const ReportDoc::Group& group, double width, int lines) {
  if (group.names.empty()) return page.text("—", kGroupText, width);
  Text all = page.text(joined(group.names, group.names.size()), kGroupText, width);
  if (all.lines() <= lines) return all;
  const auto with = [&](std::size_t count) {
    return page.text(
        fmt::format("{}等 {} {}", joined(group.names, count), group.names.size(), group.unit),
        kGroupText, width);
  };
  // The most names that fit: with(count) grows with count.
  std::size_t lo = 0;
  std::size_t hi = group.names.size() - 1;
  while (lo < hi) {
    const std::size_t mid = (lo + hi + 1) / 2;
    if (with(mid).lines() <= lines) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return with(lo);
}

// Where a group's names start: after its label and its value.
double names_x(double label_width, double value_width) {
  return label_width + value_width + 2 * kColumnGap;
}

// A group measured: its label, value, the lines all its names take, and the lines it gets.
struct GroupPlan {
  const ReportDoc::Group* group;
  Text label;
  Text value;
  int needs = 1;
  int lines = 1;
};

// A list measured: its heading, its columns, the lines all its rows take and the lines it gets.
struct ListPlan {
  const ReportDoc::List* list;
  Text heading;
  double widest = 0;  // of its rows, label and value
  int columns = 1;
  double cell_width = kWidth;
  std::size_t needs = 1;
  std::size_t lines = 1;
};

void set_columns(ListPlan& p, int columns) {
  p.columns = columns;
  // Cells no wider than their rows want, so that a value stays near its label.
  p.cell_width = std::min((kWidth - (columns - 1) * kColumnGap) / columns,
                          std::max(p.widest + kCellSlack, kMinCell));
  const auto n = static_cast<std::size_t>(columns);
  p.needs = std::max<std::size_t>(1, (p.list->rows.size() + n - 1) / n);
}

ListPlan plan_list(Page& page, const ReportDoc::List& list) {
  ListPlan p{&list, page.text(list.title, kHeading, kWidth, Fit::one_line)};
  // As many columns (at most 3) as the widest row allows.
  double widest = 0;
  for (const ReportDoc::Row& row :
       std::span(list.rows).first(std::min(list.rows.size(), kMeasuredRows))) {
    double w = page.text(row.label, kListText).width();
    if (!row.value.empty()) w += kValueGap + page.text(row.value, kListValue).width();
    widest = std::max(widest, w);
  }
  p.widest = widest;
  set_columns(p, std::clamp(static_cast<int>((kWidth + kColumnGap) / (widest + kColumnGap)), 1,
                            kMaxListColumns));
  return p;
}

// How many of `plans`' lines each gets of `supply`: every list at least one; a list that needs
// fewer than an even share gets what it needs and leaves the rest to the others.
void share_lines(std::vector<ListPlan>& plans, std::size_t supply) {
  std::vector<ListPlan*> by_need;
  for (ListPlan& p : plans)
    by_need.push_back(&p);
  std::ranges::sort(by_need, {}, &ListPlan::needs);
  std::size_t left = plans.size();
  for (ListPlan* p : by_need) {
    const std::size_t share = std::max<std::size_t>(1, supply / left);
    p->lines = std::min(p->needs, share);
    supply -= std::min(supply, p->lines);
    --left;
  }
}

// Draws the list's heading and rows from `top`, in the lines it was given: down the first
// column, then the next; when the rows do not all fit, the last cell counts those left out.
// Returns where it ends.
double draw_list(Page& page, const ListPlan& p, double top, double row_height) {
  draw_heading(page, p.heading, kMarginX, top, kWidth);
  const double y = top + heading_height(p.heading) + kHeadingAfter;
  const std::vector<ReportDoc::Row>& rows = p.list->rows;
  if (rows.empty()) {
    page.draw(page.text(p.list->empty, kListMore, kWidth, Fit::one_line), kMarginX, y);
    return y + row_height;
  }
  const std::size_t cells = p.lines * static_cast<std::size_t>(p.columns);
  const std::size_t shown = rows.size() <= cells ? rows.size() : cells - 1;
  const auto cell_x = [&](std::size_t i) {
    return kMarginX + static_cast<double>(i / p.lines) * (p.cell_width + kColumnGap);
  };
  const auto cell_top = [&](std::size_t i) {
    return y + static_cast<double>(i % p.lines) * row_height;
  };
  for (std::size_t i = 0; i < shown; ++i) {
    const ReportDoc::Row& row = rows[i];
    double label_width = p.cell_width;
    if (!row.value.empty()) {
      const Text value = page.text(row.value, kListValue);
      page.draw_right(value, cell_x(i) + p.cell_width, cell_top(i));
      label_width -= value.width() + kValueGap;
    }
    page.draw(page.text(row.label, kListText, label_width, Fit::one_line), cell_x(i), cell_top(i));
  }
  if (shown < rows.size()) {
    const std::string more = fmt::format("……等 {} {}，另 {} {}未列出", rows.size(), p.list->unit,
                                         rows.size() - shown, p.list->unit);
    page.draw(page.text(more, kListMore, p.cell_width, Fit::one_line), cell_x(shown),
              cell_top(shown));
  }
  return y + static_cast<double>(p.lines) * row_height;
}

}  // namespace

std::string report_pdf(const ReportDoc& doc) {
  const auto lock = typeset::lock();
  Page page(doc.title + (doc.subtitle.empty() ? "" : " " + doc.subtitle));

  // The foot, from the bottom up: the footer, the signature line, the proof line.
  const Text footer = page.text(doc.footer, kFooter, kWidth);
  const double footer_top = kPageHeight - kMarginBottom - footer.height();
  page.draw(footer, kMarginX, footer_top);
  double foot = footer_top;
  if (!doc.signers.empty()) {
    const double cell = kWidth / static_cast<double>(doc.signers.size());
    std::vector<Text> labels;
    double height = 0;
    for (const std::string& signer : doc.signers) {
      labels.push_back(page.text(signer + "：", kSigner));
      height = std::max(height, labels.back().height());
    }
    const double top = foot - 3 * kMm - height;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      const double x = kMarginX + static_cast<double>(i) * cell;
      page.draw(labels[i], x, top);
      const double line_end = std::min(x + cell - 4 * kMm, x + labels[i].width() + kSignLine);
      page.rule(x + labels[i].width(), line_end, top + labels[i].baseline() + 1.5, 0, 0.6);
    }
    foot = top;
  }
  if (!doc.proof.empty() || !doc.proof_label.empty()) {
    const Text label = page.text(doc.proof_label, kProofLabel);
    const double label_width = doc.proof_label.empty() ? 0 : label.width() + kValueGap;
    const Text proof = page.text(doc.proof, kProof, kWidth - label_width, Fit::one_line);
    const double height = std::max(label.height(), proof.height());
    const double top = foot - 5 * kMm - height;
    page.rule(kMarginX, kMarginX + kWidth, top - 1.5 * kMm, 0.6, 0.4);
    page.draw(label, kMarginX, top);
    page.draw(proof, kMarginX + label_width, top + label.baseline() - proof.baseline());
    foot = top - 1.5 * kMm;
  }
  const double bottom = foot - kBlockGap;  // the lists end above it

  // The head.
  double y = kMarginTop;
  const Text title = page.text(doc.title, kTitle, kWidth);
  pango_layout_set_alignment(title.layout, PANGO_ALIGN_CENTER);
  page.draw(title, kMarginX, y);
  y += title.height() + 0.5 * kMm;
  if (!doc.subtitle.empty()) {
    const Text subtitle = page.text(doc.subtitle, kSubtitle, kWidth);
    pango_layout_set_alignment(subtitle.layout, PANGO_ALIGN_CENTER);
    page.draw(subtitle, kMarginX, y);
    y += subtitle.height();
  }
  for (const std::string& note : doc.notes) {
    const Text text = page.text(note, kNote, kWidth, Fit::one_line);
    pango_layout_set_height(text.layout, -2);  // two lines at most, the second cut with "…"
    pango_layout_set_alignment(text.layout, PANGO_ALIGN_CENTER);
    page.draw(text, kMarginX, y);
    y += text.height();
  }
  y += 1.5 * kMm;
  page.rule(kMarginX, kMarginX + kWidth, y, 0, 0.8);
  y += kBlockGap;

  // Everything between the head and the foot is laid out in `available`. The groups and the
  // lists are measured first: the figures may take what they leave, and the groups' names
  // take more lines only when the lists have all they need.
  const double available = bottom - y;
  std::vector<ListPlan> lists;
  const double row_height = page.text("0", kListText).height() + 0.2 * kMm;
  double lists_fixed = 0;  // their headings and gaps
  std::size_t lists_need = 0;
  for (const ReportDoc::List& list : doc.lists) {
    lists.push_back(plan_list(page, list));
    lists_fixed += kBlockGap + heading_height(lists.back().heading) + kHeadingAfter;
    lists_need += lists.back().needs;
  }
  const double lists_want = static_cast<double>(lists_need) * row_height;

  std::optional<Text> groups_heading;
  std::vector<GroupPlan> groups;
  double label_width = 0;
  double value_width = 0;
  double groups_fixed = 0;  // the heading, gaps and each group's first line
  double groups_want = 0;   // and the lines they take at first
  const double line = page.text("0", kGroupText).height();
  if (!doc.groups.empty()) {
    groups_heading = page.text(doc.groups_title, kHeading, kWidth, Fit::one_line);
    for (const ReportDoc::Group& g : doc.groups) {
      groups.push_back({&g, page.text(g.label, kGroupLabel), page.text(g.value, kGroupValue)});
      label_width = std::max(label_width, groups.back().label.width());
      value_width = std::max(value_width, groups.back().value.width());
    }
    label_width = std::min(label_width, 0.2 * kWidth);
    value_width = std::min(value_width, 0.15 * kWidth);
    groups_fixed = kBlockGap + heading_height(*groups_heading) + kHeadingAfter;
    for (GroupPlan& g : groups) {
      if (!g.group->names.empty()) {
        const std::string all = joined(g.group->names, g.group->names.size());
        g.needs = page.text(all, kGroupText, kWidth - names_x(label_width, value_width)).lines();
      }
      g.lines = std::min(g.needs, kGroupLines);
      groups_fixed += line + kGroupGap;
      groups_want += (g.lines - 1) * line;
    }
  }

  y += draw_figures(page, doc.sections, y, available,
                    groups_fixed + groups_want + lists_fixed + lists_want);

  // The groups: a heading, then a line a group: label, value, names.
  if (groups_heading) {
    // Two lines a group at most, one when two would leave the lists too little; more, up to
    // kMaxGroupLines, from what the lists leave.
    const double lists_room = bottom - y - groups_fixed - groups_want - lists_fixed;
    if (lists_room < std::min(lists_want, 0.3 * available)) {
      for (GroupPlan& g : groups)
        g.lines = 1;
    } else {
      auto spare = static_cast<int>((lists_room - lists_want) / line);
      for (bool grew = true; grew && spare > 0;) {
        grew = false;
        for (GroupPlan& g : groups) {
          if (spare > 0 && g.lines < std::min(g.needs, kMaxGroupLines)) {
            ++g.lines;
            --spare;
            grew = true;
          }
        }
      }
    }
    y += kBlockGap;
    draw_heading(page, *groups_heading, kMarginX, y, kWidth);
    y += heading_height(*groups_heading) + kHeadingAfter;
    const double x = names_x(label_width, value_width);
    for (GroupPlan& g : groups) {
      pango_layout_set_width(g.label.layout, pango_units_from_double(label_width));
      pango_layout_set_ellipsize(g.label.layout, PANGO_ELLIPSIZE_END);
      const Text names = group_names(page, *g.group, kWidth - x, g.lines);
      page.draw(g.label, kMarginX, y);
      page.draw_right(g.value, kMarginX + label_width + kColumnGap + value_width, y);
      page.draw(names, kMarginX + x, y);
      y += std::max(g.label.height(), names.height()) + kGroupGap;
    }
  }

  // The lists share what is left, line by line; nothing is drawn below their room.
  if (!lists.empty()) {
    const double room = std::max(0.0, bottom - y - lists_fixed);
    const auto supply = static_cast<std::size_t>(room / row_height);
    share_lines(lists, supply);
    // A list cut short takes more columns, its rows cut with "…", rather than leave rows out;
    // then the lines are shared again, for what it no longer needs.
    bool widened = false;
    for (ListPlan& p : lists) {
      while (p.lines < p.needs && p.columns < kMaxListColumns) {
        set_columns(p, p.columns + 1);
        widened = true;
      }
    }
    if (widened) share_lines(lists, supply);
    cairo_save(page.cr());
    cairo_rectangle(page.cr(), 0, 0, kPageWidth, bottom);
    cairo_clip(page.cr());
    for (const ListPlan& p : lists)
      y = draw_list(page, p, y + kBlockGap, row_height);
    cairo_restore(page.cr());
  }
  return std::move(page).finish();
}

}  // namespace juwei::render
