// QR codes (ISO/IEC 18004) of a text, encoded by libqrencode in byte mode at error correction
// level M, as an SVG or PNG image or as modules to draw at any size. Pure functions; safe to
// call from several threads. They throw std::invalid_argument for a module size out of range
// and std::runtime_error when the text is empty or too long (over 2331 bytes) or a library fails.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace juwei::render {

// Light modules the code needs on each side, so that a scanner finds its edges.
inline constexpr int kQrQuietZone = 4;

// The modules of a QR code, without its quiet zone.
struct QrModules {
  // Dark modules x to x + length - 1 of row y.
  struct Run {
    int x;
    int y;
    int length;
  };

  int width = 0;           // modules per side: 21 for version 1, 4 more per version
  std::vector<bool> dark;  // width * width, row by row

  bool is_dark(int x, int y) const { return dark[static_cast<std::size_t>(y) * width + x]; }
  // The dark modules as horizontal runs, row by row: fewer shapes to draw than modules.
  std::vector<Run> runs() const;
};

QrModules qr_modules(std::string_view text);

// A QR code of `text` as an SVG document (one <path>, black modules on white, 4-module quiet
// zone, `module_px` per module; viewBox set), and as a PNG (8-bit grayscale, written with
// cairo's PNG writer into memory). module_px lies in [1, 100].
std::string qr_svg(std::string_view text, int module_px = 8);
std::string qr_png(std::string_view text, int module_px = 8);

}  // namespace juwei::render
