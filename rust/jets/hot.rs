//! Hot state: the static table of jets, keyed by location path.
//!
//! A path names a registered core from its root: `k/one/add` is the core `add` registered under `one` under the Hoon
//! kernel's root core (`%k.140`, `%k.139`, ... `%k.135`: the `k` stands for the root of any Hoon kernel Vere 4.5 has a
//! jet tree for, [`KELVINS`]). `a50/...` is the root of the small test kernels in `shared/jam` (Ares' legacy test
//! kernel, its gates registered directly under the root). Each entry also gives the arm axis the jet computes: 2, the
//! `$` arm of a gate or trap, and the Hoon kernels it serves: where a kernel moved a core (`mule` under `vi` since
//! Hoon 136) or changed an arm's interface (`bif:by`, `apt:in`), each kernel gets the jet written for its layout, as
//! in Vere's per-kernel trees (docs/jets.md, "Kernels").

use super::{
    aura, bits, crypto, hash, lists, math, memo, parse, serial, sets, sort, tree, virt, JetFn,
};

/// The Hoon kernels (`%k.NNN` roots) whose `k/...` jets are served: those Vere 4.5 has jet trees for. A kernel
/// outside this range runs as Nock, as under Vere.
pub const KELVINS: std::ops::RangeInclusive<u32> = 135..=140;

/// One jet: the location path, the arm axis within the core, the function.
pub struct HotEntry {
    pub path: &'static str,
    pub axis: u64,
    pub fun: JetFn,
    /// Whether checking mode may compare this jet with its Nock: not for jets that run their own Nock (the memo
    /// jets) or that deliberately compute what Vere's jet does rather than what the Hoon says (`fitz`, `shas`).
    pub checkable: bool,
    /// The Hoon kernels (`k` roots) this entry serves, newest first: `(newest, oldest)`, inclusive. Ignored for
    /// other roots.
    pub kelvins: (u32, u32),
}

impl HotEntry {
    /// Serve only Hoon kernels `newest` down to `oldest`.
    const fn kernels(self, newest: u32, oldest: u32) -> HotEntry {
        HotEntry {
            kelvins: (newest, oldest),
            ..self
        }
    }

    /// Does this entry serve a location whose root is the Hoon kernel `kelvin` (`None`: another root)?
    pub fn serves(&self, kelvin: Option<u32>) -> bool {
        match kelvin {
            None => true,
            Some(k) => KELVINS.contains(&k) && k <= self.kelvins.0 && k >= self.kelvins.1,
        }
    }
}

const fn j(path: &'static str, fun: JetFn) -> HotEntry {
    HotEntry {
        path,
        axis: 2,
        fun,
        checkable: true,
        kelvins: (*KELVINS.end(), *KELVINS.start()),
    }
}

/// A jet that checking mode leaves alone (see [`HotEntry::checkable`]).
const fn unchecked(path: &'static str, fun: JetFn) -> HotEntry {
    HotEntry {
        checkable: false,
        ..j(path, fun)
    }
}

pub static HOT: &[HotEntry] = &[
    // layer one: arithmetic and tree math
    j("k/one/add", math::add),
    j("k/one/dec", math::dec),
    j("k/one/div", math::div),
    j("k/one/dvr", math::dvr),
    j("k/one/gte", math::gte),
    j("k/one/gth", math::gth),
    j("k/one/lte", math::lte),
    j("k/one/lth", math::lth),
    j("k/one/max", math::max),
    j("k/one/min", math::min),
    j("k/one/mod", math::modulo),
    j("k/one/mul", math::mul),
    j("k/one/sub", math::sub),
    j("k/one/cap", tree::cap),
    j("k/one/mas", tree::mas),
    j("k/one/peg", tree::peg),
    // layer two: lists
    j("k/one/two/flop", lists::flop),
    j("k/one/two/need", lists::need),
    j("k/one/two/lent", lists::lent),
    j("k/one/two/levy", lists::levy),
    j("k/one/two/lien", lists::lien),
    j("k/one/two/murn", lists::murn),
    j("k/one/two/reap", lists::reap),
    j("k/one/two/reel", lists::reel),
    j("k/one/two/roll", lists::roll),
    j("k/one/two/scag", lists::scag),
    j("k/one/two/skid", lists::skid),
    j("k/one/two/skim", lists::skim),
    j("k/one/two/skip", lists::skip),
    j("k/one/two/slag", lists::slag),
    j("k/one/two/snag", lists::snag),
    j("k/one/two/sort", lists::sort),
    j("k/one/two/turn", lists::turn),
    j("k/one/two/weld", lists::weld),
    j("k/one/two/welp", lists::weld),
    j("k/one/two/zing", lists::zing),
    // layer two: bits
    j("k/one/two/bex", bits::bex),
    j("k/one/two/can", bits::can),
    j("k/one/two/cat", bits::cat),
    j("k/one/two/con", bits::con),
    j("k/one/two/cut", bits::cut),
    j("k/one/two/dis", bits::dis),
    j("k/one/two/end", bits::end),
    j("k/one/two/lsh", bits::lsh),
    j("k/one/two/met", bits::met_jet),
    j("k/one/two/mix", bits::mix),
    j("k/one/two/rap", bits::rap),
    j("k/one/two/rep", bits::rep),
    j("k/one/two/rev", bits::rev),
    j("k/one/two/rip", bits::rip),
    j("k/one/two/rsh", bits::rsh),
    j("k/one/two/swp", bits::swp),
    j("k/one/two/xeb", bits::xeb),
    // layer two: hashing, ordering, serialisation
    j("k/one/two/mug", hash::mug_jet),
    j("k/one/two/muk", hash::muk),
    j("k/one/two/dor", sort::dor),
    j("k/one/two/gor", sort::gor),
    j("k/one/two/mor", sort::mor),
    j("k/one/two/jam", serial::jam),
    j("k/one/two/cue", serial::cue),
    j("k/one/two/mat", serial::mat),
    j("k/one/two/rub", serial::rub),
    // layer two: maps and sets
    j("k/one/two/by/get", sets::by_get),
    j("k/one/two/by/has", sets::by_has),
    j("k/one/two/by/put", sets::by_put),
    j("k/one/two/by/tap", sets::tap),
    j("k/one/two/by/gas", sets::by_gas),
    j("k/one/two/by/del", sets::by_del),
    j("k/one/two/by/wyt", sets::wyt),
    j("k/one/two/by/uni", sets::by_uni),
    j("k/one/two/by/rep", sets::rep),
    j("k/one/two/by/run", sets::by_run),
    j("k/one/two/by/int", sets::by_int),
    j("k/one/two/by/dif", sets::by_dif),
    // `bif:by` took `[key value]` in Hoon 140 and takes the key since 138 (Vere has no jet for 139)
    j("k/one/two/by/bif", sets::by_bif).kernels(140, 140),
    j("k/one/two/by/bif", sets::by_bif_key).kernels(138, 135),
    j("k/one/two/by/apt", sets::by_apt),
    j("k/one/two/by/all", sets::by_all),
    j("k/one/two/by/any", sets::by_any),
    j("k/one/two/by/urn", sets::by_urn),
    j("k/one/two/by/jab", sets::by_jab),
    j("k/one/two/by/key", sets::by_key),
    j("k/one/two/in/has", sets::in_has),
    j("k/one/two/in/put", sets::in_put),
    j("k/one/two/in/tap", sets::tap),
    j("k/one/two/in/gas", sets::in_gas),
    j("k/one/two/in/del", sets::in_del),
    j("k/one/two/in/wyt", sets::wyt),
    j("k/one/two/in/uni", sets::in_uni),
    j("k/one/two/in/rep", sets::rep),
    j("k/one/two/in/int", sets::in_int),
    j("k/one/two/in/dif", sets::in_dif),
    j("k/one/two/in/bif", sets::in_bif),
    // since Hoon 139 `apt:in` also requires distinct members (Vere's `u3wdi_apt` against `u3wdi_apt_140`)
    j("k/one/two/in/apt", sets::in_apt).kernels(140, 140),
    j("k/one/two/in/apt", sets::in_apt_distinct).kernels(139, 135),
    // no Vere jet: served only where checked against the kernel's Hoon (ivory, 140)
    j("k/one/two/in/all", sets::in_all).kernels(140, 140),
    j("k/one/two/in/any", sets::in_any).kernels(140, 140),
    j("k/one/two/in/run", sets::in_run),
    // layer three: cryptographic hashes
    j("k/one/two/tri/shax", hash::shax),
    j("k/one/two/tri/shay", hash::shay),
    // Vere's salted hash, not the Hoon's (see `hash::shas`)
    unchecked("k/one/two/tri/shas", hash::shas),
    j("k/one/two/tri/shal", hash::shal),
    j("k/one/two/tri/sha/sha1", hash::sha1),
    // layer four: virtualisation
    j("k/one/two/tri/qua/trip", serial::trip),
    j("k/one/two/tri/qua/mink", virt::mink),
    // Hoon 136 moved `mule` and `mole` into a core `vi` under `qua`
    j("k/one/two/tri/qua/mule", virt::mule).kernels(140, 137),
    j("k/one/two/tri/qua/mole", virt::mole).kernels(140, 137),
    j("k/one/two/tri/qua/vi/mule", virt::mule).kernels(136, 135),
    j("k/one/two/tri/qua/vi/mole", virt::mole).kernels(136, 135),
    // layer four: parsing combinators
    j("k/one/two/tri/qua/bend/fun", parse::bend_fun),
    j("k/one/two/tri/qua/cold/fun", parse::cold_fun),
    j("k/one/two/tri/qua/cook/fun", parse::cook_fun),
    j("k/one/two/tri/qua/comp/fun", parse::comp_fun),
    j("k/one/two/tri/qua/easy/fun", parse::easy_fun),
    j("k/one/two/tri/qua/glue/fun", parse::glue_fun),
    j("k/one/two/tri/qua/here/fun", parse::here_fun),
    j("k/one/two/tri/qua/just/fun", parse::just_fun),
    j("k/one/two/tri/qua/mask/fun", parse::mask_fun),
    j("k/one/two/tri/qua/shim/fun", parse::shim_fun),
    j("k/one/two/tri/qua/stag/fun", parse::stag_fun),
    j("k/one/two/tri/qua/stew/fun", parse::stew_fun),
    j("k/one/two/tri/qua/stir/fun", parse::stir_fun),
    j("k/one/two/tri/qua/pfix", parse::pfix),
    j("k/one/two/tri/qua/plug", parse::plug),
    j("k/one/two/tri/qua/pose", parse::pose),
    j("k/one/two/tri/qua/sfix", parse::sfix),
    // layer five: aura compatibility (Vere's rule, not the Hoon's) and the type system's memoised arms
    unchecked("k/one/two/tri/qua/pen/fitz", aura::fitz),
    unchecked("k/one/two/tri/qua/pen/ut/crop", memo::ut_crop),
    unchecked("k/one/two/tri/qua/pen/ut/fish", memo::ut_fish),
    unchecked("k/one/two/tri/qua/pen/ut/fuse", memo::ut_fuse),
    unchecked("k/one/two/tri/qua/pen/ut/mint", memo::ut_mint),
    unchecked("k/one/two/tri/qua/pen/ut/mull", memo::ut_mull),
    unchecked("k/one/two/tri/qua/pen/ut/rest", memo::ut_rest),
    unchecked(
        "k/one/two/tri/qua/pen/ut/nest/nest-in/nest-dext",
        memo::ut_nest_dext,
    ),
    // zuse (`hex` under layer five): Ed25519 and AES-SIV
    j("k/one/two/tri/qua/pen/hex/coed/ed/puck", crypto::puck),
    j("k/one/two/tri/qua/pen/hex/coed/ed/sign", crypto::sign),
    j("k/one/two/tri/qua/pen/hex/coed/ed/veri", crypto::veri),
    j("k/one/two/tri/qua/pen/hex/coed/ed/shar", crypto::shar),
    j("k/one/two/tri/qua/pen/hex/aes/siva/en", crypto::siva_en),
    j("k/one/two/tri/qua/pen/hex/aes/siva/de", crypto::siva_de),
    j("k/one/two/tri/qua/pen/hex/aes/sivb/en", crypto::sivb_en),
    j("k/one/two/tri/qua/pen/hex/aes/sivb/de", crypto::sivb_de),
    j("k/one/two/tri/qua/pen/hex/aes/sivc/en", crypto::sivc_en),
    j("k/one/two/tri/qua/pen/hex/aes/sivc/de", crypto::sivc_de),
    // the a50 test kernel
    j("a50/add", math::add),
    j("a50/dec", math::dec),
    j("a50/div", math::div),
    j("a50/dvr", math::dvr),
    j("a50/gte", math::gte),
    j("a50/gth", math::gth),
    j("a50/lte", math::lte),
    j("a50/lth", math::lth),
    j("a50/mod", math::modulo),
    j("a50/mul", math::mul),
    j("a50/sub", math::sub),
    j("a50/cap", tree::cap),
    j("a50/mas", tree::mas),
    j("a50/lent", lists::lent),
    j("a50/flop", lists::flop),
    j("a50/mug", hash::mug_jet),
    j("a50/dor", sort::dor),
    j("a50/gor", sort::gor),
    j("a50/mor", sort::mor),
    j("a50/mink", virt::mink),
];

/// The Hoon kernel version of a root label `kNNN` (`k140` → 140), if it is one.
pub fn kelvin_of(root: &str) -> Option<u32> {
    let digits = root.strip_prefix('k')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The hot-table key of a location label (root first): a Hoon kernel root `kNNN` becomes `k`.
pub fn key_of(label: &[String]) -> String {
    let mut parts: Vec<&str> = label.iter().map(String::as_str).collect();
    if let Some(root) = parts.first_mut() {
        if kelvin_of(root).is_some() {
            *root = "k";
        }
    }
    parts.join("/")
}

/// The jetted arms of a location: (arm axis, hot index), from the entries that serve its kernel.
pub fn arms_for(label: &[String]) -> Vec<(u64, u32)> {
    let key = key_of(label);
    let kelvin = label.first().and_then(|r| kelvin_of(r));
    HOT.iter()
        .enumerate()
        .filter(|(_, h)| h.path == key && h.serves(kelvin))
        .map(|(i, h)| (h.axis, i as u32))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(path: &str) -> Vec<String> {
        path.split('/').map(String::from).collect()
    }

    fn jet_of(path: &str) -> Option<JetFn> {
        match arms_for(&label(path)).as_slice() {
            [] => None,
            [(2, h)] => Some(HOT[*h as usize].fun),
            more => panic!("{path}: {} entries", more.len()),
        }
    }

    #[test]
    fn every_kernel_vere_knows_is_served_and_no_other() {
        for k in 135..=140 {
            assert!(jet_of(&format!("k{k}/one/add")).is_some(), "k{k}");
        }
        assert!(jet_of("k134/one/add").is_none());
        assert!(jet_of("k141/one/add").is_none());
        assert!(jet_of("a50/add").is_some());
        assert_eq!(kelvin_of("k135"), Some(135));
        assert_eq!(kelvin_of("k"), None);
        assert_eq!(kelvin_of("kx1"), None);
    }

    #[test]
    fn moved_and_changed_arms_get_their_kernels_jets() {
        // `mule`/`mole` directly under `qua` through Hoon 137, under `qua/vi` in 136 and 135
        for k in 137..=140 {
            assert!(jet_of(&format!("k{k}/one/two/tri/qua/mule")).is_some());
            assert!(jet_of(&format!("k{k}/one/two/tri/qua/vi/mule")).is_none());
        }
        for k in 135..=136 {
            assert!(jet_of(&format!("k{k}/one/two/tri/qua/vi/mule")).is_some());
            assert!(jet_of(&format!("k{k}/one/two/tri/qua/vi/mole")).is_some());
            assert!(jet_of(&format!("k{k}/one/two/tri/qua/mule")).is_none());
        }
        let same = |a: Option<JetFn>, b: JetFn| a.is_some_and(|f| std::ptr::fn_addr_eq(f, b));
        assert!(same(jet_of("k140/one/two/in/apt"), sets::in_apt as JetFn));
        assert!(same(
            jet_of("k135/one/two/in/apt"),
            sets::in_apt_distinct as JetFn
        ));
        assert!(same(
            jet_of("k139/one/two/in/apt"),
            sets::in_apt_distinct as JetFn
        ));
        assert!(same(jet_of("k140/one/two/by/bif"), sets::by_bif as JetFn));
        assert!(same(
            jet_of("k138/one/two/by/bif"),
            sets::by_bif_key as JetFn
        ));
        assert!(jet_of("k139/one/two/by/bif").is_none());
        assert!(jet_of("k135/one/two/in/all").is_none());
        // the first entry of a path is the Hoon 140 one (`Dashboard::jet_stats` reports the first)
        let first = HOT.iter().find(|h| h.path == "k/one/two/in/apt").unwrap();
        assert_eq!(first.kelvins, (140, 140));
    }
}
