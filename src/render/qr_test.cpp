#include "render/qr.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "render/cairo.hpp"

namespace juwei::render {
namespace {

// Grows by 4 modules a version; version 1 at level M holds 14 bytes, version 2 26, version 40
// 2331 (ISO/IEC 18004, table 7).
TEST(QrModules, VersionGrowsWithTheText) {
  const struct {
    std::size_t bytes;
    int width;
  } cases[] = {{1, 21}, {14, 21}, {15, 25}, {26, 25}, {27, 29}, {2331, 177}};
  for (const auto& c : cases)
    EXPECT_EQ(qr_modules(std::string(c.bytes, 'x')).width, c.width) << c.bytes << " bytes";
}

TEST(QrModules, HasTheFinderPatternsInThreeCorners) {
  const QrModules qr = qr_modules("JW1.42.a8Zk3");
  // A 7x7 pattern: dark ring, light ring, dark 3x3 centre.
  const auto finder_at = [&](int left, int top) {
    for (int y = 0; y < 7; ++y) {
      for (int x = 0; x < 7; ++x) {
        const int ring = std::max(std::abs(x - 3), std::abs(y - 3));
        if (qr.is_dark(left + x, top + y) != (ring != 2)) return false;
      }
    }
    return true;
  };
  EXPECT_TRUE(finder_at(0, 0));
  EXPECT_TRUE(finder_at(qr.width - 7, 0));
  EXPECT_TRUE(finder_at(0, qr.width - 7));
}

TEST(QrModules, RunsCoverExactlyTheDarkModules) {
  const QrModules qr = qr_modules("https://juwei.example/p/42");
  std::vector<bool> covered(qr.dark.size());
  for (const QrModules::Run& run : qr.runs()) {
    ASSERT_GT(run.length, 0);
    for (int x = run.x; x < run.x + run.length; ++x)
      covered[static_cast<std::size_t>(run.y) * qr.width + x] = true;
  }
  EXPECT_EQ(covered, qr.dark);
}

TEST(QrModules, RefusesTextsNoCodeHolds) {
  EXPECT_THROW(qr_modules(""), std::runtime_error);
  EXPECT_THROW(qr_modules(std::string(2332, 'x')), std::runtime_error);
  EXPECT_THROW(qr_svg("x", 0), std::invalid_argument);
  EXPECT_THROW(qr_png("x", 101), std::invalid_argument);
}

TEST(QrSvg, DrawsTheModulesWithAQuietZone) {
  const std::string text = "JW1.42.a8Zk3";
  const QrModules qr = qr_modules(text);
  const std::string svg = qr_svg(text, 5);
  ASSERT_TRUE(svg.starts_with("<svg")) << svg;
  const int side = qr.width + 2 * kQrQuietZone;
  EXPECT_NE(svg.find(fmt::format(R"(width="{0}" height="{0}")", side * 5)), std::string::npos);
  EXPECT_NE(svg.find(fmt::format(R"(viewBox="0 0 {0} {0}")", side)), std::string::npos);

  // Read the path back into a module grid, with the quiet zone.
  std::vector<bool> dark(static_cast<std::size_t>(side) * side);
  const std::regex run(R"(M(\d+),(\d+)h(\d+)v1h-\3z)");
  for (std::sregex_iterator it(svg.begin(), svg.end(), run), end; it != end; ++it) {
    const int x = std::stoi((*it)[1]);
    const int y = std::stoi((*it)[2]);
    for (int i = 0; i < std::stoi((*it)[3]); ++i)
      dark[static_cast<std::size_t>(y) * side + x + i] = true;
  }
  for (int y = 0; y < side; ++y) {
    for (int x = 0; x < side; ++x) {
      const int qx = x - kQrQuietZone;
      const int qy = y - kQrQuietZone;
      const bool inside = qx >= 0 && qy >= 0 && qx < qr.width && qy < qr.width;
      EXPECT_EQ(dark[static_cast<std::size_t>(y) * side + x], inside && qr.is_dark(qx, qy))
          << "module " << x << "," << y;
    }
  }
}

TEST(QrSvg, IsAFunctionOfTheText) {
  EXPECT_EQ(qr_svg("JW1.42.a8Zk3"), qr_svg("JW1.42.a8Zk3"));
  EXPECT_NE(qr_svg("JW1.42.a8Zk3"), qr_svg("JW1.42.a8Zk4"));
  EXPECT_NE(qr_svg("JW1.42.a8Zk3", 8), qr_svg("JW1.42.a8Zk3", 4));
}

std::uint32_t big_endian(std::string_view bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i)
    value = value << 8 | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

TEST(QrPng, IsAGrayscalePngOfTheModules) {
  const std::string text = "出入证 JW1.42";
  const QrModules qr = qr_modules(text);
  const int module_px = 6;
  const std::string png = qr_png(text, module_px);
  ASSERT_GT(png.size(), 33u);
  ASSERT_EQ(png.substr(0, 8), "\x89PNG\r\n\x1a\n");
  ASSERT_EQ(png.substr(12, 4), "IHDR");
  const std::uint32_t side = (qr.width + 2 * kQrQuietZone) * module_px;
  EXPECT_EQ(big_endian(png, 16), side);  // width
  EXPECT_EQ(big_endian(png, 20), side);  // height
  EXPECT_EQ(png[24], 8);                 // bit depth
  EXPECT_EQ(png[25], 0);                 // colour type: grayscale

  // Decode it and look at the centre of every module, quiet zone included.
  std::string_view rest = png;
  const cairo::Surface image(cairo_image_surface_create_from_png_stream(
      [](void* closure, unsigned char* data, unsigned int length) {
        auto* input = static_cast<std::string_view*>(closure);
        if (input->size() < length) return CAIRO_STATUS_READ_ERROR;
        input->copy(reinterpret_cast<char*>(data), length);
        input->remove_prefix(length);
        return CAIRO_STATUS_SUCCESS;
      },
      &rest));
  ASSERT_EQ(cairo_surface_status(image.get()), CAIRO_STATUS_SUCCESS);
  const unsigned char* data = cairo_image_surface_get_data(image.get());
  const int stride = cairo_image_surface_get_stride(image.get());
  const int modules = qr.width + 2 * kQrQuietZone;
  for (int y = 0; y < modules; ++y) {
    for (int x = 0; x < modules; ++x) {
      const int px = x * module_px + module_px / 2;
      const int py = y * module_px + module_px / 2;
      std::uint32_t pixel;  // gray expands to RGB24: 0x00rrggbb in native byte order
      std::memcpy(&pixel, data + py * stride + px * 4, sizeof pixel);
      const int qx = x - kQrQuietZone;
      const int qy = y - kQrQuietZone;
      const bool inside = qx >= 0 && qy >= 0 && qx < qr.width && qy < qr.width;
      EXPECT_EQ(pixel & 0xFFFFFF, inside && qr.is_dark(qx, qy) ? 0u : 0xFFFFFFu)
          << "module " << x << "," << y;
    }
  }
}

}  // namespace
}  // namespace juwei::render
