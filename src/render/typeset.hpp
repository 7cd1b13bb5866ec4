// What the PDFs of this layer share to set text: the one Pango font map, the lock every
// document is made under, and text made fit for Pango. Internal to render: include it only
// from its .cpp files.
//
// Documents are made one at a time, with one font map. Pango's default font map is one per
// thread and not safe to share, and on Debian 12 (Pango 1.50, cairo 1.16, fontconfig 2.14) PDFs
// made at once on several threads now and then came out with other fonts embedded (a pass 39%
// larger, seen by Pdf.RendersOnSeveralThreadsAtOnce). A PDF is a download at a desk, so the lock
// costs no one; one map also loads the fonts once, not once per server thread.
#pragma once

#include <pango/pangocairo.h>

#include <mutex>
#include <string>
#include <string_view>

namespace juwei::render::typeset {

// Lengths are in PDF points (1/72 inch), cairo's unit on a PDF surface; the page is A4.
inline constexpr double kMm = 72.0 / 25.4;
inline constexpr double kPageWidth = 210 * kMm;
inline constexpr double kPageHeight = 297 * kMm;

// Held while a document is made: from its first layout to its last byte.
[[nodiscard]] std::unique_lock<std::mutex> lock();

// The font map every layout is made from; call only while holding lock().
PangoFontMap* font_map();

// `text` with each byte that is not valid UTF-8 (a NUL too) replaced by U+FFFD: Pango rejects
// invalid text, and cairo then fails the whole document.
std::string valid_utf8(std::string_view text);

}  // namespace juwei::render::typeset
