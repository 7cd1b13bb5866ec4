#include "render/typeset.hpp"

#include <memory>

#include "render/cairo.hpp"

namespace juwei::render::typeset {
namespace {

std::mutex g_mutex;  // guards font_map() and every layout made from it

}  // namespace

std::unique_lock<std::mutex> lock() {
  return std::unique_lock(g_mutex);
}

PangoFontMap* font_map() {
  static PangoFontMap* const map = pango_cairo_font_map_new();
  return map;
}

std::string valid_utf8(std::string_view text) {
  const std::unique_ptr<gchar, cairo::Deleter<g_free>> valid(
      g_utf8_make_valid(text.data(), static_cast<gssize>(text.size())));
  return valid.get();
}

}  // namespace juwei::render::typeset
