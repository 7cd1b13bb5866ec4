#include "render/pdf.hpp"

#include <cairo-pdf.h>
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string_view>

#include "render/cairo.hpp"
#include "render/qr.hpp"
#include "render/typeset.hpp"

namespace juwei::render {
namespace {

using typeset::kMm;
using typeset::kPageHeight;
using typeset::kPageWidth;
constexpr double kMargin = 25 * kMm;
constexpr double kContentWidth = kPageWidth - 2 * kMargin;
constexpr double kFooterGap = 8 * kMm;         // between the content and the footer
constexpr double kPageNumberWidth = 35 * kMm;  // right of the footer, when there are pages
constexpr double kQrWidth = 70 * kMm;          // the symbol, quiet zone not included
constexpr double kLabelGap = 4 * kMm;          // between a pass's labels and values
// fonts-noto-cjk. Not its Noto Sans CJK SC: cairo 1.16's CFF subsetter misreads the charstring
// of 如 in the regular weight (a hintmask after path operators) and embeds the glyph empty, so
// it prints blank. The serif family has no such glyph; pdf_test checks 如 gets ink.
constexpr char kFont[] = "Noto Serif CJK SC";

struct Style {
  double size;  // pt
  PangoWeight weight = PANGO_WEIGHT_NORMAL;
  PangoAlignment align = PANGO_ALIGN_LEFT;
  double line_spacing = 0;  // distance of baselines in line heights; 0: the font's own
  double grey = 0;          // 0 black, 1 white
};

constexpr Style kFooter{.size = 9, .grey = 0.4};
constexpr Style kPageNumber{.size = 9, .align = PANGO_ALIGN_RIGHT, .grey = 0.4};
constexpr Style kPledgeTitle{.size = 22, .weight = PANGO_WEIGHT_BOLD, .align = PANGO_ALIGN_CENTER};
constexpr Style kPledgeBody{.size = 14, .line_spacing = 1.5};
constexpr Style kSignature{.size = 14, .align = PANGO_ALIGN_RIGHT, .line_spacing = 1.5};
constexpr Style kPassTitle{.size = 28, .weight = PANGO_WEIGHT_BOLD, .align = PANGO_ALIGN_CENTER};
constexpr Style kPassLabel{.size = 16, .weight = PANGO_WEIGHT_BOLD, .line_spacing = 1.4};
constexpr Style kPassValue{.size = 16, .line_spacing = 1.4};
constexpr Style kPassCode{.size = 26, .weight = PANGO_WEIGHT_BOLD, .align = PANGO_ALIGN_CENTER};
constexpr Style kPassCodeLabel{.size = 11, .align = PANGO_ALIGN_CENTER, .grey = 0.35};

// Printed under an unsigned pledge; the underlined ideographic spaces are the lines to write on.
constexpr char kSignHere[] =
    "承诺人（签名）：<u>　　　　　　　　</u>　　日期：<u>　　　　　　　　</u>";

// A text laid out by Pango, and the grey it is drawn in. The Pages that made it own the layout.
struct Text {
  PangoLayout* layout;
  double grey;
};

// One line of a Text: where it starts, and its height above and below the baseline (line
// spacing included).
struct Line {
  PangoLayoutLine* line;
  double x;
  double ascent;
  double descent;
};

std::vector<Line> lines_of(const Text& text) {
  std::vector<Line> lines;
  const cairo::LayoutIter iter(pango_layout_get_iter(text.layout));
  do {
    int top = 0;
    int bottom = 0;
    pango_layout_iter_get_line_yrange(iter.get(), &top, &bottom);
    PangoRectangle logical;
    pango_layout_iter_get_line_extents(iter.get(), nullptr, &logical);
    const int baseline = pango_layout_iter_get_baseline(iter.get());
    lines.push_back({pango_layout_iter_get_line_readonly(iter.get()),
                     pango_units_to_double(logical.x), pango_units_to_double(baseline - top),
                     pango_units_to_double(bottom - baseline)});
  } while (pango_layout_iter_next_line(iter.get()));
  return lines;
}

double height_of(const Text& text) {
  int width = 0;
  int height = 0;
  pango_layout_get_size(text.layout, &width, &height);
  return pango_units_to_double(height);
}

// A4 pages filled top to bottom: a line or block that does not fit on the current page starts
// the next, so nothing is cut. finish() then draws every page with the footer at its foot, and
// "第 n 页，共 m 页" beside it when there are several pages.
class Pages {
 public:
  Pages(std::string_view title, std::string_view footer);
  Pages(const Pages&) = delete;
  Pages& operator=(const Pages&) = delete;

  // `utf8` laid out `width` wide (negative: no wrapping); kept until finish().
  Text text(std::string_view utf8, const Style& style, double width = kContentWidth);
  // Texts side by side, each at its x from the left margin, placed line by line; line i of
  // every text shares one baseline.
  void lines(std::initializer_list<std::pair<Text, double>> columns);
  void lines(const Text& text) { lines({{text, 0.0}}); }
  // Vertical space; none at the top of a page.
  void skip(double height);
  // A drawing `height` high that is never split: draw(cr, top) paints it.
  void block(double height, std::function<void(cairo_t*, double top)> draw);
  // Draws the pages and ends the document: the PDF.
  std::string finish() &&;

 private:
  struct Item {
    int page;
    std::function<void(cairo_t*)> draw;
  };

  double place(double height);  // top of the next `height`, on a new page if need be

  std::string m_pdf;  // declared before m_surface, which writes into it until destroyed
  cairo::Surface m_surface;
  cairo::Context m_cr;
  std::vector<cairo::Layout> m_layouts;
  std::vector<Item> m_items;  // in page order
  Text m_footer;
  double m_bottom;  // content ends here, above the footer
  int m_page = 0;
  double m_y = kMargin;
};

Pages::Pages(std::string_view title, std::string_view footer)
    : m_surface(cairo_pdf_surface_create_for_stream(cairo::append_to_string, &m_pdf, kPageWidth,
                                                    kPageHeight)),
      m_cr(cairo_create(m_surface.get())) {
  cairo::check(cairo_status(m_cr.get()), "creating a PDF");
  cairo_pdf_surface_set_metadata(m_surface.get(), CAIRO_PDF_METADATA_TITLE,
                                 typeset::valid_utf8(title).c_str());
  cairo_pdf_surface_set_metadata(m_surface.get(), CAIRO_PDF_METADATA_CREATOR, "Juwei");
  m_footer = text(footer, kFooter, kContentWidth - kPageNumberWidth);
  m_bottom = kPageHeight - kMargin - height_of(m_footer) - kFooterGap;
}

Text Pages::text(std::string_view utf8, const Style& style, double width) {
  const cairo::Object<PangoContext> context(pango_font_map_create_context(typeset::font_map()));
  pango_cairo_update_context(m_cr.get(), context.get());
  // Chinese text: Pango prefers Simplified Chinese glyphs and breaks lines between characters.
  pango_context_set_language(context.get(), pango_language_from_string("zh-cn"));
  cairo::Layout layout(pango_layout_new(context.get()));
  const cairo::FontDescription font(pango_font_description_new());
  pango_font_description_set_family_static(font.get(), kFont);
  pango_font_description_set_weight(font.get(), style.weight);
  // Absolute: one device unit is one point here, whatever resolution Pango assumes.
  pango_font_description_set_absolute_size(font.get(), style.size * PANGO_SCALE);
  pango_layout_set_font_description(layout.get(), font.get());
  pango_layout_set_width(layout.get(), width < 0 ? -1 : pango_units_from_double(width));
  pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment(layout.get(), style.align);
  pango_layout_set_line_spacing(layout.get(), static_cast<float>(style.line_spacing));
  pango_layout_set_text(layout.get(), typeset::valid_utf8(utf8).c_str(), -1);
  m_layouts.push_back(std::move(layout));
  return {m_layouts.back().get(), style.grey};
}

void Pages::lines(std::initializer_list<std::pair<Text, double>> columns) {
  std::vector<std::vector<Line>> laid;
  std::size_t rows = 0;
  for (const auto& [text, x] : columns) {
    laid.push_back(lines_of(text));
    rows = std::max(rows, laid.back().size());
  }
  for (std::size_t i = 0; i < rows; ++i) {
    double ascent = 0;
    double descent = 0;
    for (const std::vector<Line>& lines : laid) {
      if (i >= lines.size()) continue;
      ascent = std::max(ascent, lines[i].ascent);
      descent = std::max(descent, lines[i].descent);
    }
    const double baseline = place(ascent + descent) + ascent;
    auto column = columns.begin();
    for (const std::vector<Line>& lines : laid) {
      const auto& [text, x] = *column++;
      if (i >= lines.size()) continue;
      m_items.push_back(
          {m_page, [line = lines[i], left = kMargin + x, baseline, grey = text.grey](cairo_t* cr) {
             cairo_set_source_rgb(cr, grey, grey, grey);
             cairo_move_to(cr, left + line.x, baseline);
             pango_cairo_show_layout_line(cr, line.line);
           }});
    }
  }
}

void Pages::skip(double height) {
  if (m_y > kMargin) m_y += height;
}

void Pages::block(double height, std::function<void(cairo_t*, double top)> draw) {
  const double top = place(height);
  m_items.push_back({m_page, [draw = std::move(draw), top](cairo_t* cr) { draw(cr, top); }});
}

double Pages::place(double height) {
  if (m_y + height > m_bottom && m_y > kMargin) {
    ++m_page;
    m_y = kMargin;
  }
  const double top = m_y;
  m_y += height;
  return top;
}

std::string Pages::finish() && {
  cairo_t* cr = m_cr.get();
  const int pages = m_page + 1;
  const double footer_top = kPageHeight - kMargin - height_of(m_footer);
  auto item = m_items.begin();
  for (int page = 0; page < pages; ++page) {
    for (; item != m_items.end() && item->page == page; ++item)
      item->draw(cr);
    cairo_set_source_rgb(cr, m_footer.grey, m_footer.grey, m_footer.grey);
    cairo_move_to(cr, kMargin, footer_top);
    pango_cairo_show_layout(cr, m_footer.layout);
    if (pages > 1) {
      const Text number =
          text(fmt::format("第 {} 页，共 {} 页", page + 1, pages), kPageNumber, kPageNumberWidth);
      cairo_move_to(cr, kPageWidth - kMargin - kPageNumberWidth, footer_top);
      pango_cairo_show_layout(cr, number.layout);
    }
    cairo_show_page(cr);
  }
  cairo::check(cairo_status(cr), "drawing a PDF");
  cairo_surface_finish(m_surface.get());
  cairo::check(cairo_surface_status(m_surface.get()), "writing a PDF");
  return std::move(m_pdf);
}

}  // namespace

std::string pledge_pdf(const PledgeDoc& doc) {
  const auto lock = typeset::lock();
  Pages pages(doc.title, doc.footer);
  pages.lines(pages.text(doc.title, kPledgeTitle));
  pages.skip(10 * kMm);
  pages.lines(pages.text(doc.body, kPledgeBody));
  pages.skip(15 * kMm);
  if (doc.signature.empty()) {
    const Text sign_here = pages.text("", kSignature);
    pango_layout_set_markup(sign_here.layout, kSignHere, -1);
    pages.lines(sign_here);
  } else {
    pages.lines(pages.text(doc.signature, kSignature));
  }
  return std::move(pages).finish();
}

std::string pass_pdf(const PassDoc& doc) {
  const auto lock = typeset::lock();
  Pages pages(doc.title, doc.footer);
  pages.lines(pages.text(doc.title, kPassTitle));

  const QrModules qr = qr_modules(doc.token);
  const double module = kQrWidth / qr.width;
  pages.block((qr.width + 2 * kQrQuietZone) * module, [qr, module](cairo_t* cr, double top) {
    // One path: the runs merge into one shape, with no seams between them in any viewer.
    const double left = (kPageWidth - kQrWidth) / 2;
    top += kQrQuietZone * module;
    for (const QrModules::Run& run : qr.runs())
      cairo_rectangle(cr, left + run.x * module, top + run.y * module, run.length * module, module);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_fill(cr);
  });
  if (!doc.code.empty()) {
    pages.lines(pages.text(doc.code, kPassCode));
    pages.lines(pages.text(doc.code_label, kPassCodeLabel));
    pages.skip(4 * kMm);
  }

  // The labels make a column as wide as the widest of them (at most 40% of the line).
  std::vector<Text> labels;
  double label_width = 0;
  for (const auto& field : doc.fields) {
    labels.push_back(pages.text(field.first, kPassLabel, -1));
    int width = 0;
    pango_layout_get_size(labels.back().layout, &width, nullptr);
    label_width = std::max(label_width, pango_units_to_double(width));
  }
  label_width = std::min(label_width, 0.4 * kContentWidth);
  const double value_x = label_width + kLabelGap;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    pango_layout_set_width(labels[i].layout, pango_units_from_double(label_width));
    const Text value = pages.text(doc.fields[i].second, kPassValue, kContentWidth - value_x);
    pages.lines({{labels[i], 0.0}, {value, value_x}});
  }
  return std::move(pages).finish();
}

}  // namespace juwei::render
