//! The OFAC legacy CSV loader: format quirks, strictness, and the bundled snapshot.

use std::path::PathBuf;

use sanctions::{AliasType, ListFiles, LoadError, SanctionsList, SdnType, bundled_list_dir};

/// A small release in OFAC's exact byte layout: CRLF, `-0- ` nulls, quoted commas, a
/// line break inside a quoted address, and the trailing 0x1A.
const SDN: &[u8] = b"36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n\
173,\"ANGLO-CARIBBEAN CO., LTD.\",-0- ,\"CUBA] [SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"a.k.a. 'AC'.\"\r\n\
1572,\"NORIEGA, Manuel Antonio\",\"individual\",\"CUBA\",\"General\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB 11 Feb 1934; nationality Panama; Linked To: PAR\"\r\n\
9000,\"SEA STAR\",\"vessel\",\"IRAN\",-0- ,\"9HXY\",\"Crude Oil Tanker\",\"150,000\",\"80,000\",\"Malta\",\"SOME SHIPPING CO\",-0- \r\n\
\x1a";

const ALT: &[u8] = b"36,12,\"aka\",\"AERO-CARIBBEAN\",-0- \r\n\
1572,1008,\"fka\",\"NORIEGA MORENO, Manuel\",\"old name\"\r\n\
1572,1009,\"nka\",\"EL GENERAL\",-0- \r\n\
\x1a";

const ADD: &[u8] = b"36,25,-0- ,\"Havana\",\"Cuba\",-0- \r\n\
173,129,\"Ibex House, The Minories\r\nSecond Floor\",\"London EC3N 1DY\",\"United Kingdom\",-0- \r\n\
1572,130,-0- ,-0- ,\"Panama\",-0- \r\n\
\x1a";

const COMMENTS: &[u8] = b"1572,\"K S.A.; Linked To: SOMETHING ELSE.\"\r\n";

fn files() -> ListFiles<'static> {
    ListFiles {
        sdn: SDN,
        alt: ALT,
        add: ADD,
        sdn_comments: Some(COMMENTS),
    }
}

fn malformed(err: LoadError) -> (String, u64, String) {
    match err {
        LoadError::Malformed { file, line, reason } => (file, line, reason),
        other => panic!("expected a malformed-row error, got {other:?}"),
    }
}

#[test]
fn parses_the_format_quirks() {
    let list = SanctionsList::from_files(files()).unwrap();
    assert_eq!(list.len(), 4);
    let info = list.info();
    assert_eq!((info.entries, info.aliases, info.addresses), (4, 3, 3));
    assert_eq!(info.max_ent_num, 9000);

    let airline = list.get(36).unwrap();
    assert_eq!(
        airline.sdn_type,
        SdnType::Entity,
        "null SDN_Type means entity"
    );
    assert_eq!(airline.title, None, "`-0- ` with its space is null");
    assert_eq!(airline.programs, vec!["CUBA"]);
    assert_eq!(airline.aliases[0].name, "AERO-CARIBBEAN");
    assert_eq!(airline.aliases[0].alias_type, AliasType::Aka);

    let anglo = list.get(173).unwrap();
    assert_eq!(anglo.name, "ANGLO-CARIBBEAN CO., LTD.", "quoted comma");
    assert_eq!(anglo.programs, vec!["CUBA", "SDGT"]);
    assert_eq!(
        anglo.addresses[0].address.as_deref(),
        Some("Ibex House, The Minories\r\nSecond Floor"),
        "line break inside quotes"
    );
    assert_eq!(
        anglo.addresses[0].city_state_postal.as_deref(),
        Some("London EC3N 1DY")
    );

    let noriega = list.get(1572).unwrap();
    assert_eq!(noriega.sdn_type, SdnType::Individual);
    assert_eq!(noriega.title.as_deref(), Some("General"));
    assert_eq!(
        noriega.remarks.as_deref(),
        Some(
            "DOB 11 Feb 1934; nationality Panama; Linked To: PARK S.A.; Linked To: SOMETHING ELSE."
        ),
        "sdn_comments.csv continues the remarks where they were cut"
    );
    assert_eq!(noriega.dates_of_birth[0].text, "11 Feb 1934");
    assert_eq!(noriega.nationalities, vec!["Panama"]);
    assert_eq!(noriega.country_codes, vec!["PA"]);
    assert_eq!(noriega.nationality_codes, vec!["PA"]);
    assert!(noriega.places_of_birth.is_empty());
    let types: Vec<_> = noriega.aliases.iter().map(|a| a.alias_type).collect();
    assert_eq!(types, vec![AliasType::Fka, AliasType::Nka]);
    assert_eq!(noriega.aliases[0].remarks.as_deref(), Some("old name"));

    let vessel = list.get(9000).unwrap();
    assert_eq!(vessel.sdn_type, SdnType::Vessel);
    assert_eq!(vessel.call_sign.as_deref(), Some("9HXY"));
    assert_eq!(vessel.tonnage.as_deref(), Some("150,000"));
    assert_eq!(vessel.vessel_flag.as_deref(), Some("Malta"));
}

#[test]
fn line_numbers_count_line_breaks_inside_quotes() {
    let add = b"173,129,\"a\r\nb\",-0- ,-0- ,-0- \r\n36,oops,-0- ,-0- ,-0- ,-0- \r\n\x1a";
    let err = SanctionsList::from_files(ListFiles { add, ..files() }).unwrap_err();
    assert_eq!(
        err.to_string(),
        "add.csv line 3: malformed record: add_num \"oops\" is not a number"
    );
}

#[test]
fn accepts_lf_only_and_missing_eof_byte() {
    let sdn = b"1,\"ONE CORP\",-0-,\"CUBA\",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\n2,\"TWO, Jane\",\"individual\",\"SDGT\",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\n";
    let list = SanctionsList::from_readers(&sdn[..], &b""[..], &b""[..]).unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list.info().aliases, 0);
}

#[test]
fn an_empty_list_is_refused() {
    for sdn in [&b""[..], b"\x1a", b"\r\n\x1a"] {
        let err = SanctionsList::from_readers(sdn, &b""[..], &b""[..]).unwrap_err();
        assert!(
            matches!(&err, LoadError::Empty { file } if file == "sdn.csv"),
            "{err}"
        );
    }
}

#[test]
fn empty_alias_and_address_files_are_fine() {
    let list = SanctionsList::from_files(ListFiles {
        alt: b"\x1a",
        add: b"",
        sdn_comments: None,
        ..files()
    })
    .unwrap();
    assert_eq!(list.len(), 4);
    assert_eq!(list.info().aliases, 0);
}

#[test]
fn malformed_rows_name_file_and_line() {
    let cases: Vec<(ListFiles<'static>, &str, u64, &str)> = vec![
        (
            ListFiles {
                sdn: b"1,\"A\",-0- ,\"CUBA\"\r\n",
                ..files()
            },
            "sdn.csv",
            1,
            "expected 12 fields, found 4",
        ),
        (
            ListFiles {
                sdn: b"1,\"A\",-0- ,\"X\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\nx1,\"B\",-0- ,\"X\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n",
                ..files()
            },
            "sdn.csv",
            2,
            "ent_num \"x1\" is not a number",
        ),
        (
            ListFiles {
                sdn: b"1,\"A\",\"robot\",\"X\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n",
                ..files()
            },
            "sdn.csv",
            1,
            "unknown SDN_Type \"robot\"",
        ),
        (
            ListFiles {
                sdn: b"1,-0- ,-0- ,\"X\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n",
                ..files()
            },
            "sdn.csv",
            1,
            "SDN_Name is missing",
        ),
        (
            ListFiles {
                sdn: b"1,\"A\",-0- ,\"X\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n1,\"B\",-0- ,\"X\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n",
                alt: b"",
                add: b"",
                sdn_comments: None,
            },
            "sdn.csv",
            2,
            "ent_num 1 already appeared on line 1",
        ),
        (
            ListFiles {
                alt: b"36,12,\"aka\",\"X\",-0- \r\n36,13,\"alias\",\"Y\",-0- \r\n",
                ..files()
            },
            "alt.csv",
            2,
            "unknown alt_type \"alias\"",
        ),
        (
            ListFiles {
                alt: b"36,12,\"aka\",\"X\",-0- \r\n999,13,\"aka\",\"Y\",-0- \r\n",
                ..files()
            },
            "alt.csv",
            2,
            "ent_num 999 is not in sdn.csv",
        ),
        (
            ListFiles {
                add: b"36,25,-0- ,\"Havana\",\"Cuba\"\r\n",
                ..files()
            },
            "add.csv",
            1,
            "expected 6 fields, found 5",
        ),
        (
            ListFiles {
                sdn_comments: Some(b"4242,\"more\"\r\n"),
                ..files()
            },
            "sdn_comments.csv",
            1,
            "ent_num 4242 is not in sdn.csv",
        ),
    ];
    for (files, want_file, want_line, want_reason) in cases {
        let (file, line, reason) = malformed(SanctionsList::from_files(files).unwrap_err());
        assert_eq!(
            (file.as_str(), line, reason.as_str()),
            (want_file, want_line, want_reason)
        );
    }
}

#[test]
fn an_unterminated_quote_is_an_error_not_a_panic() {
    let sdn = b"1,\"A,-0- ,\"X\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n2,\"B\",-0- \r\n\x1a";
    let (file, line, _) =
        malformed(SanctionsList::from_readers(&sdn[..], &b""[..], &b""[..]).unwrap_err());
    assert_eq!((file.as_str(), line), ("sdn.csv", 1));
}

/// A scratch directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("sanctions-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("the temp dir is writable");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn load_dir_reads_a_replaceable_directory() {
    let dir = TempDir::new("load-dir");
    std::fs::write(dir.0.join("sdn.csv"), SDN).unwrap();
    std::fs::write(dir.0.join("alt.csv"), ALT).unwrap();
    std::fs::write(dir.0.join("add.csv"), ADD).unwrap();

    let without_comments = SanctionsList::load_dir(&dir.0).unwrap();
    assert_eq!(without_comments.len(), 4);
    assert_eq!(
        without_comments.info().source.as_deref(),
        Some(dir.0.as_path())
    );

    std::fs::write(dir.0.join("sdn_comments.csv"), COMMENTS).unwrap();
    let with_comments = SanctionsList::load_dir(&dir.0).unwrap();
    assert_ne!(
        without_comments.info().sha256,
        with_comments.info().sha256,
        "the version marker covers every file"
    );

    std::fs::remove_file(dir.0.join("alt.csv")).unwrap();
    let err = SanctionsList::load_dir(&dir.0).unwrap_err();
    assert!(
        matches!(&err, LoadError::Io { path, .. } if path.ends_with("alt.csv")),
        "{err}"
    );
}

#[test]
fn the_bundled_snapshot_loads_completely() {
    let list = SanctionsList::load_dir(bundled_list_dir()).unwrap();
    let info = list.info();
    // Checked against the files with an independent CSV parser; `wc -l sdn.csv` says 8,977
    // because the 0x1A byte sits on a line of its own.
    assert_eq!(info.entries, 8976);
    assert_eq!(info.aliases, 11910);
    assert_eq!(info.addresses, 13837);
    assert_eq!(info.max_ent_num, 32391);
    assert_eq!(info.sha256.len(), 64);
    assert!(
        info.version().starts_with("ofac-sdn:32391:"),
        "{}",
        info.version()
    );

    let types = |t| list.entries().iter().filter(|e| e.sdn_type == t).count();
    assert_eq!(types(SdnType::Individual), 4620);
    assert_eq!(types(SdnType::Entity), 3673);
    assert_eq!(types(SdnType::Vessel), 406);
    assert_eq!(types(SdnType::Aircraft), 277);

    let bnc = list.get(306).unwrap();
    assert_eq!(bnc.name, "BANCO NACIONAL DE CUBA");
    assert!(
        bnc.aliases
            .iter()
            .any(|a| a.name == "NATIONAL BANK OF CUBA")
    );

    // ent 12300's remarks run past 1,000 characters into sdn_comments.csv.
    let remarks = list.get(12300).unwrap().remarks.as_deref().unwrap();
    assert!(remarks.len() > 1000);
    assert!(
        remarks.contains("Linked To: PROMO RAIZ S.A.S."),
        "{remarks}"
    );

    let again = SanctionsList::load_dir(bundled_list_dir()).unwrap();
    assert_eq!(again.info().sha256, info.sha256);
}

#[test]
fn the_bundled_snapshots_remarks_are_read() {
    let list = SanctionsList::load_dir(bundled_list_dir()).unwrap();
    let individuals: Vec<_> = list
        .entries()
        .iter()
        .filter(|e| e.sdn_type == SdnType::Individual)
        .collect();
    let dobs: Vec<_> = individuals.iter().flat_map(|e| &e.dates_of_birth).collect();
    let unread: Vec<&str> = dobs
        .iter()
        .filter(|d| d.span.is_none())
        .map(|d| d.text.as_str())
        .collect();
    // Every date of birth of this snapshot is in a form we read (day, month, year, circa,
    // ranges), so a contradicting date of birth can clear a match on any of them.
    assert_eq!(dobs.len(), 5125);
    assert!(unread.is_empty(), "{unread:?}");
    let with =
        |f: &dyn Fn(&&sanctions::SdnEntry) -> bool| individuals.iter().filter(|e| f(e)).count();
    assert_eq!(with(&|e| !e.dates_of_birth.is_empty()), 4428);
    assert_eq!(with(&|e| !e.nationalities.is_empty()), 2544);
    assert_eq!(with(&|e| !e.places_of_birth.is_empty()), 2874);
    assert_eq!(with(&|e| !e.birth_country_codes.is_empty()), 2693);
}
