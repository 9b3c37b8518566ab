// Value semantics and every modifier of the Sigma modifiers appendix (v2.1), written from the
// specification's text and examples. Each match is checked twice (Vectorscan path and the
// reference evaluator, see sigma_test_util.hpp).

#include "mamori/detect/sigma/modifiers.hpp"

#include <gtest/gtest.h>

#include "mamori/event/time.hpp"
#include "sigma_test_util.hpp"

namespace mamori::sigma {
namespace {

using testing::engine;
using testing::ev;
using testing::rule;

TEST(SigmaValues, PlainValueIsCaseInsensitiveEquality) {
  engine e(rule("    sel:\n        Image: 'C:\\Windows\\System32\\whoami.exe'\n    condition: sel"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  EXPECT_TRUE(e.matches(ev().add("Image", "C:\\WINDOWS\\system32\\WhoAmI.exe")));
  EXPECT_FALSE(e.matches(ev().add("Image", "C:\\Windows\\System32\\whoami.exe.bak")));
  EXPECT_FALSE(e.matches(ev().add("Image", "D:\\C:\\Windows\\System32\\whoami.exe")));
  EXPECT_FALSE(e.matches(ev().add("OtherField", "C:\\Windows\\System32\\whoami.exe")));
}

TEST(SigmaValues, MapIsAndListIsOr) {
  // Spec "Maps": EventLog Security and (EventID 517 or 1102).
  engine e(rule("    selection:\n        EventLog: Security\n        EventID:\n            - 517\n"
                "            - 1102\n    condition: selection"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  EXPECT_TRUE(e.matches(ev().add("EventLog", "Security").add("EventID", std::int64_t{1102})));
  EXPECT_TRUE(e.matches(ev().add("EventLog", "security").add("EventID", "517")));
  EXPECT_FALSE(e.matches(ev().add("EventLog", "Security").add("EventID", std::int64_t{4624})));
  EXPECT_FALSE(e.matches(ev().add("EventLog", "System").add("EventID", std::int64_t{517})));
}

TEST(SigmaValues, ListOfMapsIsOr) {
  // Spec "Lists": image ends with example.exe or description contains 'Test executable'.
  engine e(rule("    selection:\n        - Image|endswith: '\\example.exe'\n"
                "        - Description|contains: 'Test executable'\n    condition: selection"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  EXPECT_TRUE(e.matches(ev().add("Image", "C:\\tmp\\EXAMPLE.exe")));
  EXPECT_TRUE(e.matches(ev().add("Description", "A test executable for x")));
  EXPECT_FALSE(e.matches(ev().add("Image", "C:\\tmp\\example.exe2")));
}

TEST(SigmaValues, ArrayFieldMatchesAnyElement) {
  engine e(rule("    sel:\n        tags: beta\n    condition: sel"));
  EXPECT_TRUE(e.matches(ev().add("tags", "alpha").add("tags", "beta")));
  EXPECT_FALSE(e.matches(ev().add("tags", "alpha").add("tags", "gamma")));
}

TEST(SigmaValues, FieldNamesWithSpacesAreAddressedWithoutThem) {
  // Spec "Field Usage": use the field as it appears in the log source and strip all spaces.
  engine e(rule("    sel:\n        ThreatName|endswith: 'EICAR_Test_File'\n    condition: sel"));
  EXPECT_TRUE(e.matches(ev().add("Threat Name", "Virus:DOS/EICAR_Test_File")));
  EXPECT_TRUE(e.matches(ev().add("ThreatName", "Virus:DOS/EICAR_Test_File")));
  EXPECT_FALSE(e.matches(ev().add("Threat Names", "Virus:DOS/EICAR_Test_File")));
}

TEST(SigmaValues, NumbersAndBooleansCompareByText) {
  engine e(rule("    sel:\n        EventID: 4688\n        Elevated: true\n    condition: sel"));
  EXPECT_TRUE(e.matches(ev().add("EventID", std::int64_t{4688}).add("Elevated", true)));
  EXPECT_TRUE(e.matches(ev().add("EventID", "4688").add("Elevated", "True")));
  EXPECT_FALSE(e.matches(ev().add("EventID", std::int64_t{46880}).add("Elevated", true)));
}

TEST(SigmaWildcards, StarAndQuestionMark) {
  // Spec "String Wildcard": prog?.exe and antivirus_V*.exe.
  engine e(rule("    sel:\n        Image:\n            - 'prog?.exe'\n            - "
                "'antivirus_V*.exe'\n    condition: sel"));
  EXPECT_TRUE(e.matches(ev().add("Image", "progA.exe")));
  EXPECT_TRUE(e.matches(ev().add("Image", "prog\xc3\xa9.exe")));  // ? is one character (é)
  EXPECT_FALSE(e.matches(ev().add("Image", "prog.exe")));
  EXPECT_FALSE(e.matches(ev().add("Image", "progAB.exe")));
  EXPECT_TRUE(e.matches(ev().add("Image", "antivirus_V21.2.1.exe")));
  EXPECT_TRUE(e.matches(ev().add("Image", "antivirus_V.exe")));
  EXPECT_FALSE(e.matches(ev().add("Image", "xantivirus_V1.exe")));
}

TEST(SigmaWildcards, EscapingRulesOfTheSpecification) {
  // Spec "Escape Character": \* and \? are plain; \\* is a backslash then a wildcard;
  // \\\* is a backslash and a plain star; a backslash before anything else is plain.
  EXPECT_EQ(sstring::parse("a\\*b").pieces().size(), 1u);
  EXPECT_EQ(sstring::parse("a\\*b").plain_text(), "a*b");
  EXPECT_EQ(sstring::parse("a\\?b").plain_text(), "a?b");
  EXPECT_EQ(sstring::parse("C:\\Windows").plain_text(), "C:\\Windows");
  EXPECT_EQ(sstring::parse("C:\\\\Windows").plain_text(), "C:\\Windows");
  const sstring bs_star = sstring::parse("a\\\\*");
  ASSERT_EQ(bs_star.pieces().size(), 2u);
  EXPECT_EQ(bs_star.pieces()[0].text, "a\\");
  EXPECT_EQ(bs_star.pieces()[1].kind, piece_kind::star);
  EXPECT_EQ(sstring::parse("a\\\\\\*").plain_text(), "a\\*");
  EXPECT_TRUE(sstring::parse("a\\\\\\*").plain());
  // Three or four backslashes are a double backslash.
  EXPECT_EQ(sstring::parse("a\\\\\\b").plain_text(), "a\\\\b");
  EXPECT_EQ(sstring::parse("a\\\\\\\\b").plain_text(), "a\\\\b");
  // to_sigma renders back to a string that parses to the same value.
  for (std::string_view raw : {"a\\*b", "a\\\\*", "x\\", "C:\\Win*\\x", "a\\\\\\*", "\\\\?"}) {
    const sstring s = sstring::parse(raw);
    EXPECT_EQ(sstring::parse(s.to_sigma()), s) << raw << " -> " << s.to_sigma();
  }

  engine e(rule("    plain_star:\n        A: 'C:\\Temp\\*'\n    wildcard:\n        B: 'C:\\Temp\\\\*'\n"
                "    condition: plain_star or wildcard"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  EXPECT_TRUE(e.matches(ev().add("A", "C:\\Temp*")));
  EXPECT_FALSE(e.matches(ev().add("A", "C:\\Temp\\x.exe")));
  EXPECT_TRUE(e.matches(ev().add("B", "C:\\Temp\\x.exe")));
  EXPECT_FALSE(e.matches(ev().add("B", "C:\\Tempx.exe")));
}

TEST(SigmaWildcards, TrailingBackslashDoesNotEscapeTheModifierWildcard) {
  // contains puts wildcards around the parsed value: a trailing backslash stays a backslash
  // and the added wildcard stays a wildcard.
  engine e(rule("    sel:\n        CommandLine|contains: '\\Temp\\'\n    condition: sel"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  EXPECT_TRUE(e.matches(ev().add("CommandLine", "copy x C:\\Temp\\evil.exe")));
  EXPECT_FALSE(e.matches(ev().add("CommandLine", "copy x C:\\Temp*")));
  EXPECT_FALSE(e.matches(ev().add("CommandLine", "copy x C:\\Temporary")));
  engine s(rule("    sel:\n        Image|startswith: 'C:\\Users\\'\n    condition: sel"));
  EXPECT_TRUE(s.matches(ev().add("Image", "c:\\users\\bob\\a.exe")));
  engine en(rule("    sel:\n        Image|endswith: '\\'\n    condition: sel"));
  EXPECT_TRUE(en.matches(ev().add("Image", "C:\\dir\\")));
  EXPECT_FALSE(en.matches(ev().add("Image", "C:\\dir")));
}

TEST(SigmaModifiers, ContainsStartswithEndswith) {
  engine e(rule("    a:\n        F1|contains: 'mimikatz'\n    b:\n        F2|startswith: 'adm_'\n"
                "    c:\n        F3|endswith: '.ps1'\n    condition: a or b or c"));
  EXPECT_TRUE(e.matches(ev().add("F1", "run MimiKatz.exe now")));
  EXPECT_TRUE(e.matches(ev().add("F2", "ADM_bob")));
  EXPECT_FALSE(e.matches(ev().add("F2", "x_adm_bob")));
  EXPECT_TRUE(e.matches(ev().add("F3", "script.PS1")));
  EXPECT_FALSE(e.matches(ev().add("F3", "script.ps1.txt")));
  // Repeated occurrences: endswith must look at the last one.
  EXPECT_TRUE(e.matches(ev().add("F3", "a.ps1 b.ps1")));
}

TEST(SigmaModifiers, Cased) {
  engine e(rule("    sel:\n        F|cased|contains: 'AbC'\n    condition: sel"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  EXPECT_TRUE(e.matches(ev().add("F", "xxAbCxx")));
  EXPECT_FALSE(e.matches(ev().add("F", "xxabcxx")));
}

TEST(SigmaModifiers, AllLinksValuesWithAnd) {
  engine e(rule("    sel:\n        CommandLine|contains|all:\n            - ' -a '\n"
                "            - ' -b '\n    condition: sel"));
  EXPECT_TRUE(e.matches(ev().add("CommandLine", "x -b  -a y")));
  EXPECT_FALSE(e.matches(ev().add("CommandLine", "x -a y")));
}

TEST(SigmaModifiers, Base64) {
  EXPECT_EQ(base64_encode("http://"), "aHR0cDovLw==");
  engine e(rule("    sel:\n        F|base64: 'http://'\n    condition: sel"));
  EXPECT_TRUE(e.matches(ev().add("F", "aHR0cDovLw==")));
  EXPECT_FALSE(e.matches(ev().add("F", "http://")));
}

TEST(SigmaModifiers, Base64OffsetContains) {
  // The three shifted encodings of 'http://' (Sigma documentation example).
  EXPECT_EQ(base64_offsets("http://"),
            (std::vector<std::string>{"aHR0cDovL", "h0dHA6Ly", "odHRwOi8v"}));
  engine e(rule("    sel:\n        CommandLine|base64offset|contains: 'http://'\n    condition: sel"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  // base64("xhttp://evil") and base64("xyhttp://evil") place the value at offsets 1 and 2.
  EXPECT_TRUE(e.matches(ev().add("CommandLine", "powershell -e aHR0cDovL2V2aWw=")));
  EXPECT_TRUE(e.matches(ev().add("CommandLine", "-e eGh0dHA6Ly9ldmls")));
  EXPECT_TRUE(e.matches(ev().add("CommandLine", "-e eHlodHRwOi8vZXZpbA==")));
  EXPECT_FALSE(e.matches(ev().add("CommandLine", "-e ZXZpbA==")));
}

TEST(SigmaModifiers, Utf16Encodings) {
  EXPECT_EQ(utf16_encode("cmd", utf16_form::le), std::string("c\0m\0d\0", 6));
  EXPECT_EQ(utf16_encode("cmd", utf16_form::be), std::string("\0c\0m\0d", 6));
  EXPECT_EQ(utf16_encode("cmd", utf16_form::bom_le), std::string("\xff\xfe" "c\0m\0d\0", 8));
  EXPECT_EQ(utf16_encode("\xc3\xa9", utf16_form::le), std::string("\xe9\0", 2));
  EXPECT_EQ(utf16_encode("\xf0\x9f\x98\x80", utf16_form::le), std::string("\x3d\xd8\x00\xde", 4));
  // The common use: PowerShell -EncodedCommand is base64 of UTF-16LE.
  engine e(rule("    sel:\n        CommandLine|wide|base64offset|contains: 'whoami'\n"
                "    condition: sel"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  EXPECT_TRUE(e.matches(ev().add("CommandLine", "powershell -enc dwBoAG8AYQBtAGkA")));
  EXPECT_TRUE(e.matches(
      ev().add("CommandLine", "powershell -enc eAAgAHkAIAB3AGgAbwBhAG0AaQAgAC8AYQBsAGwA")));
  EXPECT_FALSE(e.matches(ev().add("CommandLine", "powershell -enc ZABpAHIA")));
  engine be(rule("    sel:\n        F|utf16be|base64: 'cmd'\n    condition: sel"));
  EXPECT_TRUE(be.matches(ev().add("F", base64_encode(std::string("\0c\0m\0d", 6)))));
  engine bom(rule("    sel:\n        F|utf16|base64: 'cmd'\n    condition: sel"));
  EXPECT_TRUE(bom.matches(ev().add("F", "//5jAG0AZAA=")));
}

TEST(SigmaModifiers, Windash) {
  engine e(rule("    sel:\n        CommandLine|windash|contains: ' -s '\n    condition: sel"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  for (std::string_view dash : {"-", "/", "\xe2\x80\x93", "\xe2\x80\x94", "\xe2\x80\x95"}) {
    EXPECT_TRUE(e.matches(ev().add("CommandLine", "x " + std::string(dash) + "s y"))) << dash;
  }
  EXPECT_FALSE(e.matches(ev().add("CommandLine", "x +s y")));
  EXPECT_FALSE(e.matches(ev().add("CommandLine", "x \\s y")));
}

TEST(SigmaModifiers, WindashWithAll) {
  // all links the values with AND; windash makes each value match any dash.
  engine e(rule("    sel:\n        CommandLine|windash|contains|all:\n            - '-f'\n"
                "            - '-q'\n    condition: sel"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  EXPECT_TRUE(e.matches(ev().add("CommandLine", "tool /f -q")));
  EXPECT_TRUE(e.matches(ev().add("CommandLine", "tool \xe2\x80\x93q /f")));
  EXPECT_FALSE(e.matches(ev().add("CommandLine", "tool /f")));
  EXPECT_FALSE(e.matches(ev().add("CommandLine", "tool -q")));
  // Many dashes in one value: combinations are not enumerated, glob_match confirms.
  engine many(rule("    sel:\n        CommandLine|windash|contains: '-a -b -c -d'\n"
                   "    condition: sel"));
  EXPECT_TRUE(many.matches(ev().add("CommandLine", "x /a -b \xe2\x80\x94" "c /d")));
  EXPECT_FALSE(many.matches(ev().add("CommandLine", "x /a -b +c /d")));
}

TEST(SigmaModifiers, RegularExpressions) {
  engine e(rule("    sel:\n        F|re: '^abc[0-9]+$'\n    condition: sel"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  EXPECT_TRUE(e.matches(ev().add("F", "abc123")));
  EXPECT_FALSE(e.matches(ev().add("F", "ABC123")));  // case-sensitive by default
  EXPECT_FALSE(e.matches(ev().add("F", "abc123x")));
  engine i(rule("    sel:\n        F|re|i: '^abc'\n    condition: sel"));
  EXPECT_TRUE(i.matches(ev().add("F", "ABCd")));
  // Unanchored search: a regex matches anywhere.
  engine part(rule("    sel:\n        F|re: 'b.d'\n    condition: sel"));
  EXPECT_TRUE(part.matches(ev().add("F", "xxbcdxx")));
  engine m(rule("    sel:\n        F|re|m: '^second$'\n    condition: sel"));
  EXPECT_TRUE(m.matches(ev().add("F", "first\nsecond\nthird")));
  engine nm(rule("    sel:\n        F|re: '^second$'\n    condition: sel"));
  EXPECT_FALSE(nm.matches(ev().add("F", "first\nsecond\nthird")));
  engine s(rule("    sel:\n        F|re|s: 'a.b'\n    condition: sel"));
  EXPECT_TRUE(s.matches(ev().add("F", "a\nb")));
  engine ns(rule("    sel:\n        F|re: 'a.b'\n    condition: sel"));
  EXPECT_FALSE(ns.matches(ev().add("F", "a\nb")));
  // A construct RE2 cannot run in linear time makes the rule unsupported, with the reason.
  engine bad(rule("    sel:\n        F|re: '(a)\\1'\n    condition: sel"));
  EXPECT_EQ(bad.report.unsupported, 1u);
  EXPECT_NE(bad.problems().find("RE2"), std::string::npos) << bad.problems();
}

TEST(SigmaModifiers, Cidr) {
  engine e(rule("    sel:\n        DestinationIp|cidr:\n            - '10.0.0.0/8'\n"
                "            - 'fe80::/10'\n            - '192.168.1.7'\n    condition: sel"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  EXPECT_TRUE(e.matches(ev().add("DestinationIp", "10.200.3.4")));
  EXPECT_FALSE(e.matches(ev().add("DestinationIp", "11.0.0.1")));
  EXPECT_TRUE(e.matches(ev().add("DestinationIp", "FE80::1")));
  EXPECT_TRUE(e.matches(ev().add("DestinationIp", "fe80::1%eth0")));
  EXPECT_FALSE(e.matches(ev().add("DestinationIp", "fec0::1")));
  EXPECT_TRUE(e.matches(ev().add("DestinationIp", "192.168.1.7")));
  EXPECT_FALSE(e.matches(ev().add("DestinationIp", "192.168.1.8")));
  EXPECT_TRUE(e.matches(ev().add("DestinationIp", "::ffff:10.1.1.1")));  // IPv4-mapped
  EXPECT_FALSE(e.matches(ev().add("DestinationIp", "not an ip")));
  engine bad(rule("    sel:\n        F|cidr: '10.0.0.0/33'\n    condition: sel"));
  EXPECT_EQ(bad.report.invalid, 1u);
}

TEST(SigmaModifiers, NumericComparisons) {
  engine e(rule("    lt:\n        A|lt: 10\n    lte:\n        B|lte: 10\n    gt:\n        C|gt: 10\n"
                "    gte:\n        D|gte: 10.5\n    condition: 1 of them"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  EXPECT_TRUE(e.matches(ev().add("A", std::int64_t{9})));
  EXPECT_FALSE(e.matches(ev().add("A", std::int64_t{10})));
  EXPECT_TRUE(e.matches(ev().add("B", "10")));  // numeric strings compare as numbers
  EXPECT_TRUE(e.matches(ev().add("C", 10.5)));
  EXPECT_FALSE(e.matches(ev().add("C", std::int64_t{10})));
  EXPECT_TRUE(e.matches(ev().add("D", 10.5)));
  EXPECT_FALSE(e.matches(ev().add("D", std::int64_t{10})));
  EXPECT_FALSE(e.matches(ev().add("A", "nine")));
  engine bad(rule("    sel:\n        A|lt: ten\n    condition: sel"));
  EXPECT_EQ(bad.report.invalid, 1u);
}

TEST(SigmaModifiers, Neq) {
  engine e(rule("    sel:\n        User|neq: SYSTEM\n    condition: sel"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  EXPECT_TRUE(e.matches(ev().add("User", "alice")));
  EXPECT_FALSE(e.matches(ev().add("User", "system")));
  EXPECT_FALSE(e.matches(ev().add("Other", "x")));  // absent: not "different"
  engine list(rule("    sel:\n        Code|neq:\n            - 1\n            - 2\n    condition: sel"));
  EXPECT_TRUE(list.matches(ev().add("Code", std::int64_t{3})));
  EXPECT_FALSE(list.matches(ev().add("Code", std::int64_t{2})));
}

TEST(SigmaModifiers, ExistsAndNull) {
  // Spec "Field Existence" and "Special Field Values".
  engine e(rule("    selection:\n        EventID: 4738\n        PasswordLastSet|exists: true\n"
                "    condition: selection"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  EXPECT_TRUE(e.matches(ev().add("EventID", std::int64_t{4738}).add("PasswordLastSet", "")));
  EXPECT_TRUE(e.matches(ev().add("EventID", std::int64_t{4738}).add("PasswordLastSet", nullptr)));
  EXPECT_FALSE(e.matches(ev().add("EventID", std::int64_t{4738})));
  engine absent(rule("    sel:\n        F|exists: false\n    condition: sel"));
  EXPECT_TRUE(absent.matches(ev().add("G", "x")));
  EXPECT_FALSE(absent.matches(ev().add("F", "x")));

  engine n(rule("    selection:\n        EventID: 4738\n    filter:\n        PasswordLastSet: null\n"
                "    condition: selection and not filter"));
  ASSERT_TRUE(n.loaded()) << n.problems();
  EXPECT_TRUE(n.matches(ev().add("EventID", std::int64_t{4738}).add("PasswordLastSet", "2023")));
  EXPECT_FALSE(n.matches(ev().add("EventID", std::int64_t{4738})));
  EXPECT_FALSE(n.matches(ev().add("EventID", std::int64_t{4738}).add("PasswordLastSet", nullptr)));

  engine empty(rule("    sel:\n        F: ''\n    condition: sel"));
  EXPECT_TRUE(empty.matches(ev().add("F", "")));
  EXPECT_FALSE(empty.matches(ev().add("F", "x")));
  EXPECT_FALSE(empty.matches(ev().add("G", "")));

  // The specification's invalid example: null inside a list of values.
  engine bad(rule("    sel:\n        FieldB:\n            - ''\n            - null\n    condition: sel"));
  EXPECT_EQ(bad.report.invalid, 1u);
  // The quoted word 'null' is a string, not null.
  engine quoted(rule("    sel:\n        F: 'null'\n    condition: sel"));
  EXPECT_TRUE(quoted.matches(ev().add("F", "NULL")));
  EXPECT_FALSE(quoted.matches(ev().add("G", "x")));
}

TEST(SigmaModifiers, Fieldref) {
  engine e(rule("    sel:\n        SourceUser|fieldref: TargetUser\n    condition: sel"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  EXPECT_TRUE(e.matches(ev().add("SourceUser", "Alice").add("TargetUser", "alice")));
  EXPECT_FALSE(e.matches(ev().add("SourceUser", "alice").add("TargetUser", "bob")));
  EXPECT_FALSE(e.matches(ev().add("SourceUser", "alice")));
  engine c(rule("    sel:\n        CommandLine|fieldref|contains: Image\n    condition: sel"));
  EXPECT_TRUE(c.matches(ev().add("CommandLine", "\"C:\\a.exe\" -x").add("Image", "c:\\A.exe")));
  engine n(rule("    sel:\n        A|fieldref|neq: B\n    condition: sel"));
  EXPECT_TRUE(n.matches(ev().add("A", "1").add("B", "2")));
  EXPECT_FALSE(n.matches(ev().add("A", "1").add("B", "1")));
}

TEST(SigmaModifiers, ExpandPlaceholders) {
  placeholder_map ph{{"Administrators", {"admin", "adm_*"}}};
  engine e(rule("    sel:\n        User|expand: '%Administrators%'\n    condition: sel"), {}, ph);
  ASSERT_TRUE(e.loaded()) << e.problems();
  EXPECT_TRUE(e.matches(ev().add("User", "Admin")));
  EXPECT_TRUE(e.matches(ev().add("User", "adm_bob")));
  EXPECT_FALSE(e.matches(ev().add("User", "bob")));
  // Without expand, %name% is a literal value.
  engine lit(rule("    sel:\n        User: '%Administrators%'\n    condition: sel"), {}, ph);
  EXPECT_TRUE(lit.matches(ev().add("User", "%Administrators%")));
  // \% is a plain percent: '\%plain%name%' → '%plain' + placeholder.
  placeholder_map ph2{{"name", {"x"}}};
  engine esc(rule("    sel:\n        F|expand: '\\%plain%name%'\n    condition: sel"), {}, ph2);
  ASSERT_TRUE(esc.loaded()) << esc.problems();
  EXPECT_TRUE(esc.matches(ev().add("F", "%plainx")));
  // An undefined placeholder: the rule is rejected as unsupported (specification).
  engine missing(rule("    sel:\n        User|expand: '%Servers%'\n    condition: sel"));
  EXPECT_EQ(missing.report.unsupported, 1u);
  EXPECT_NE(missing.problems().find("%Servers%"), std::string::npos);
}

TEST(SigmaModifiers, TimeParts) {
  // 2023-01-02T03:04:05Z is a Monday in ISO week 1.
  engine e(rule("    h:\n        T|hour: 3\n    m:\n        U|minute|gte: 30\n    d:\n        V|day: 2\n"
                "    w:\n        W|week: 1\n    mo:\n        X|month|lt: 2\n    y:\n        Y|year: 2023\n"
                "    condition: 1 of them"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  const std::string t = "2023-01-02T03:04:05Z";
  EXPECT_TRUE(e.matches(ev().add("T", t)));
  EXPECT_FALSE(e.matches(ev().add("U", t)));
  EXPECT_TRUE(e.matches(ev().add("U", "2023-01-02T03:44:05Z")));
  EXPECT_TRUE(e.matches(ev().add("V", t)));
  EXPECT_TRUE(e.matches(ev().add("W", t)));
  EXPECT_FALSE(e.matches(ev().add("W", "2023-01-09T00:00:00Z")));
  EXPECT_FALSE(e.matches(ev().add("W", "2021-01-03T00:00:00Z")));  // ISO week 53 of 2020
  EXPECT_TRUE(e.matches(ev().add("X", t)));
  EXPECT_TRUE(e.matches(ev().add("Y", t)));
  EXPECT_FALSE(e.matches(ev().add("T", "not a time")));
  EXPECT_EQ(time_part_of(*timeparse::iso8601("2021-01-03T00:00:00Z"), time_unit::week), 53);
  EXPECT_EQ(time_part_of(*timeparse::iso8601("2024-12-30T00:00:00Z"), time_unit::week), 1);
}

TEST(SigmaModifiers, KeywordsSearchEveryStringField) {
  // Spec "Keywords search".
  engine e(rule("    keywords:\n        - 'event::clear'\n        - 'event::drop'\n"
                "    condition: keywords"));
  ASSERT_TRUE(e.loaded()) << e.problems();
  EXPECT_TRUE(e.matches(ev().add("CommandLine", "mimikatz EVENT::Clear exit")));
  EXPECT_TRUE(e.matches(ev().add("Other", "x").add("Payload", "event::drop")));
  EXPECT_FALSE(e.matches(ev().add("CommandLine", "event:clear")));
  engine all(rule("    keywords_cmdlet:\n        '|all':\n            - 'OabVirtualDirectory'\n"
                  "            - ' -ExternalUrl '\n    condition: keywords_cmdlet"));
  ASSERT_TRUE(all.loaded()) << all.problems();
  EXPECT_TRUE(all.matches(ev().add("Payload", "Set-OabVirtualDirectory -ExternalUrl http://x")));
  EXPECT_TRUE(all.matches(ev().add("A", "OabVirtualDirectory").add("B", "x -ExternalUrl y")));
  EXPECT_FALSE(all.matches(ev().add("Payload", "Set-OabVirtualDirectory")));
}

TEST(SigmaModifiers, InvalidModifierChainsAreReported) {
  engine unknown(rule("    sel:\n        F|containz: x\n    condition: sel"));
  EXPECT_EQ(unknown.report.invalid, 1u);
  EXPECT_NE(unknown.problems().find("unknown modifier 'containz'"), std::string::npos);
  EXPECT_NE(unknown.problems().find("test.yml:6:9"), std::string::npos) << unknown.problems();
  engine flag(rule("    sel:\n        F|i: x\n    condition: sel"));
  EXPECT_EQ(flag.report.invalid, 1u);
  engine enc(rule("    sel:\n        F|contains|base64: x\n    condition: sel"));
  EXPECT_EQ(enc.report.invalid, 1u);
  engine exists(rule("    sel:\n        F|exists: maybe\n    condition: sel"));
  EXPECT_EQ(exists.report.invalid, 1u);
}

}  // namespace
}  // namespace mamori::sigma
