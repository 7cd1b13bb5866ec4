#include "render/qr.hpp"

#include <fmt/format.h>
#include <qrencode.h>

#include <cerrno>
#include <cstring>
#include <iterator>
#include <memory>
#include <stdexcept>

#include "render/cairo.hpp"

namespace juwei::render {
namespace {

constexpr int kMaxModulePx = 100;  // 185 modules (version 40 with quiet zone) stay far below
                                   // cairo's 32767-pixel surface limit

using QrCode = std::unique_ptr<QRcode, cairo::Deleter<QRcode_free>>;

void check_module_px(int module_px) {
  if (module_px < 1 || module_px > kMaxModulePx)
    throw std::invalid_argument(
        fmt::format("QR module size {} px is outside [1, {}]", module_px, kMaxModulePx));
}

// Side of the image in modules, quiet zone included.
int side(const QrModules& modules) {
  return modules.width + 2 * kQrQuietZone;
}

}  // namespace

std::vector<QrModules::Run> QrModules::runs() const {
  std::vector<Run> result;
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width;) {
      if (!is_dark(x, y)) {
        ++x;
        continue;
      }
      const int start = x;
      while (x < width && is_dark(x, y))
        ++x;
      result.push_back({start, y, x - start});
    }
  }
  return result;
}

QrModules qr_modules(std::string_view text) {
  // Version 0 lets libqrencode pick the smallest version that holds the text.
  const QrCode code(QRcode_encodeData(static_cast<int>(text.size()),
                                      reinterpret_cast<const unsigned char*>(text.data()), 0,
                                      QR_ECLEVEL_M));
  if (!code) {
    if (text.empty()) throw std::runtime_error("a QR code needs a non-empty text");
    if (errno == ERANGE)
      throw std::runtime_error(fmt::format("{} bytes are too long for a QR code", text.size()));
    throw std::runtime_error(fmt::format("QR encoding failed: {}", std::strerror(errno)));
  }
  QrModules modules{.width = code->width};
  modules.dark.resize(static_cast<std::size_t>(code->width) * code->width);
  for (std::size_t i = 0; i < modules.dark.size(); ++i)
    modules.dark[i] = (code->data[i] & 1) != 0;  // the other bits say what the module is for
  return modules;
}

std::string qr_svg(std::string_view text, int module_px) {
  check_module_px(module_px);
  const QrModules modules = qr_modules(text);
  const int n = side(modules);
  std::string svg = fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{0}" viewBox="0 0 {1} {1}" )"
      R"(shape-rendering="crispEdges"><rect width="{1}" height="{1}" fill="#fff"/><path d=")",
      n * module_px, n);
  auto out = std::back_inserter(svg);
  for (const QrModules::Run& run : modules.runs())
    fmt::format_to(out, "M{},{}h{}v1h-{}z", run.x + kQrQuietZone, run.y + kQrQuietZone, run.length,
                   run.length);
  svg += R"(" fill="#000"/></svg>)";
  svg += '\n';
  return svg;
}

std::string qr_png(std::string_view text, int module_px) {
  check_module_px(module_px);
  const QrModules modules = qr_modules(text);
  const int px = side(modules) * module_px;
  // cairo writes an A8 surface as an 8-bit grayscale PNG with the value as the gray level.
  const cairo::Surface surface(cairo_image_surface_create(CAIRO_FORMAT_A8, px, px));
  cairo::check(cairo_surface_status(surface.get()), "creating the QR image");
  cairo_surface_flush(surface.get());
  unsigned char* data = cairo_image_surface_get_data(surface.get());
  const int stride = cairo_image_surface_get_stride(surface.get());
  std::memset(data, 0xFF, static_cast<std::size_t>(stride) * px);
  for (const QrModules::Run& run : modules.runs()) {
    const int left = (run.x + kQrQuietZone) * module_px;
    const int top = (run.y + kQrQuietZone) * module_px;
    for (int row = top; row < top + module_px; ++row)
      std::memset(data + static_cast<std::size_t>(row) * stride + left, 0x00,
                  static_cast<std::size_t>(run.length) * module_px);
  }
  cairo_surface_mark_dirty(surface.get());

  std::string png;
  cairo::check(cairo_surface_write_to_png_stream(surface.get(), cairo::append_to_string, &png),
               "writing the QR image as PNG");
  return png;
}

}  // namespace juwei::render
