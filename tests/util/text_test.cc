#include "util/text.h"

#include <doctest/doctest.h>

using namespace sg;

TEST_CASE("control characters in hostile paths are escaped") {
  CHECK(EscapeControl("a\x1b[31mred") == "a\\x1b[31mred");
  CHECK(EscapeControl("line\nforged remote: ok") == "line\\nforged remote: ok");
  CHECK(EscapeControl("tab\there") == "tab\\there");
  CHECK(EscapeControl("del\x7f") == "del\\x7f");
  CHECK(EscapeControl("back\\slash") == "back\\\\slash");
  // C1 control U+009B (CSI) encoded as UTF-8 is escaped; ordinary UTF-8 is kept.
  CHECK(EscapeControl("x\xc2\x9b"
                      "31m") == "x\\xc2\\x9b31m");
  CHECK(EscapeControl("caf\xc3\xa9/\xe6\x97\xa5") == "caf\xc3\xa9/\xe6\x97\xa5");
  // Invalid UTF-8 bytes become visible escapes.
  CHECK(EscapeControl("bad\xff") == "bad\\xff");
}

TEST_CASE("bidirectional overrides and line separators in hostile names are shown, not obeyed") {
  // U+202E RIGHT-TO-LEFT OVERRIDE would show "config.env" as something else on a terminal.
  CHECK(EscapeControl("x\xe2\x80\xae"
                      "vne.gifnoc") == "x\\u{202e}vne.gifnoc");
  CHECK(EscapeControl("a\xe2\x81\xa6"
                      "b\xe2\x81\xa9") == "a\\u{2066}b\\u{2069}");
  CHECK(EscapeControl("mark\xe2\x80\x8f") == "mark\\u{200f}");
  CHECK(EscapeControl("line\xe2\x80\xa8sep") == "line\\u{2028}sep");
  CHECK(EscapeControl("arabic\xd8\x9c") == "arabic\\u{061c}");
  CHECK(EscapeControl("dash\xe2\x80\x94ok") == "dash\xe2\x80\x94ok");  // an em dash stays
}

TEST_CASE("redaction shows a short prefix and the length, never the secret") {
  std::string secret = "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string r = Redact(secret);
  CHECK(r == "ghp_AB…(40 chars)");
  CHECK(r.find("CDEF") == std::string::npos);
  CHECK(Redact("abcd") == "a…(4 chars)");
  CHECK(Redact("") == "…(0 chars)");
}

TEST_CASE("shannon entropy separates random tokens from placeholders") {
  CHECK(ShannonEntropy("aaaaaaaa") == doctest::Approx(0.0));
  CHECK(ShannonEntropy("abcd") == doctest::Approx(2.0));
  CHECK(ShannonEntropy("Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1Jh9Gf0") > 4.5);
}

TEST_CASE("byte sizes accept plain numbers and binary units") {
  CHECK(ParseByteSize("1048576") == 1048576);
  CHECK(ParseByteSize("10MiB") == 10 << 20);
  CHECK(ParseByteSize("512k") == 512 << 10);
  CHECK(ParseByteSize("1 GiB") == int64_t{1} << 30);
  CHECK(ParseByteSize("ten") == -1);
  CHECK(ParseByteSize("10 parsecs") == -1);
}

TEST_CASE("display width counts terminal columns, not bytes") {
  CHECK(DisplayWidth("") == 0);
  CHECK(DisplayWidth("ghp_AB") == 6);
  CHECK(DisplayWidth("…") == 1);  // 3 bytes
  CHECK(DisplayWidth(Redact("ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")) == 17);
  CHECK(DisplayWidth("caf\xc3\xa9") == 4);               // é precomposed
  CHECK(DisplayWidth("cafe\xcc\x81") == 4);              // e + combining acute
  CHECK(DisplayWidth("\xe6\x97\xa5\xe6\x9c\xac") == 4);  // 日本: wide
  CHECK(DisplayWidth("\xed\x95\x9c") == 2);              // 한 (Hangul syllable)
  CHECK(DisplayWidth("\xef\xbc\xa1") == 2);              // Ａ (fullwidth A)
  CHECK(DisplayWidth("\xf0\x9f\x94\x91") == 2);          // 🔑 emoji
  CHECK(DisplayWidth("a\xe2\x80\x8b"
                     "b") == 2);             // zero-width space
  CHECK(DisplayWidth("\xd0\x96") == 1);      // Ж
  CHECK(DisplayWidth("bad\xff") == 4);       // an invalid byte is one column
  CHECK(DisplayWidth("\xe6\x97") == 2);      // a cut sequence: byte by byte
  CHECK(DisplayWidth("\xed\xa0\x80") == 3);  // a UTF-8 surrogate is invalid
}

TEST_CASE("padding to a display width counts the ellipsis and wide characters as columns") {
  CHECK(PadToWidth("a…", 4) == "a…  ");
  CHECK(PadToWidth("\xe6\x97\xa5", 4) == "\xe6\x97\xa5  ");
  CHECK(PadToWidth("toolong", 3) == "toolong");
}
