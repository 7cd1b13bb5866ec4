// Owners for the C handles the layer (and its tests) use, so that every handle is freed on every
// path (Deleter serves libqrencode's QRcode too), and the sink through which cairo writes a PNG
// or PDF into a string. Header only; include it only from .cpp files, never a public header.
#pragma once

#include <cairo.h>
#include <pango/pangocairo.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace juwei::render::cairo {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

using Surface = std::unique_ptr<cairo_surface_t, Deleter<cairo_surface_destroy>>;
using Context = std::unique_ptr<cairo_t, Deleter<cairo_destroy>>;
template <typename T>
using Object = std::unique_ptr<T, Deleter<g_object_unref>>;
using Layout = Object<PangoLayout>;
using FontDescription = std::unique_ptr<PangoFontDescription, Deleter<pango_font_description_free>>;
using LayoutIter = std::unique_ptr<PangoLayoutIter, Deleter<pango_layout_iter_free>>;

// Throws std::runtime_error saying what failed unless `status` is success.
inline void check(cairo_status_t status, std::string_view what) {
  if (status != CAIRO_STATUS_SUCCESS)
    throw std::runtime_error(std::string(what) + ": " + cairo_status_to_string(status));
}

// A cairo_write_func_t that appends to the std::string `closure` points to. It must not throw
// into C, so running out of memory becomes a write error, which the surface then reports.
inline cairo_status_t append_to_string(void* closure, const unsigned char* data,
                                       unsigned int length) noexcept {
  try {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
  } catch (...) {
    return CAIRO_STATUS_WRITE_ERROR;
  }
}

}  // namespace juwei::render::cairo
