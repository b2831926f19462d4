//! The staging folder surveyed ahead of the next build. Right after a build swaps its new
//! site in, the old output it swapped out (the next build's staging folder, which may have
//! been edited by hand while it was `output/`) is looked at name by name against its
//! manifest by a process that `gazette build` starts once done (outside the terminal's
//! process group; see `main.rs`), while the editor works; what differs from the records is
//! written down beside the manifest. The next build
//! takes that instead of making the same 680,000 `stat`s of a 100,000-entry site itself.
//!
//! A record is taken only by a build that finds it for the same staging folder and the same
//! manifest (the manifest file's fingerprint), under the output's lock, and is removed when
//! taken: the build then changes the folder. The survey holds the lock while it runs (a build
//! that starts meanwhile waits for it, as for another build) and writes its record whole or
//! not at all. The staging folder is `.<output>.gazette/site/`, Gazette's own:
//! what is changed there by hand after the survey is not looked for, as the manifests
//! beside it are trusted.
//!
//! This module only reads the staging folder; it writes nothing but its record.

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::Map;
use super::manifest::{self, Fingerprint};
use super::open_dir::{Node, OpenDir};

const HEADER: &str = "gazette-ahead 3";

/// What a record holds for a name that is gone.
const NO_FINGERPRINT: Fingerprint = Fingerprint {
    ino: 0,
    size: 0,
    mtime: (0, 0),
    ctime: (0, 0),
};

/// Where the record of the survey made ahead of the next build is kept, in `home`.
fn path(home: &Path) -> PathBuf {
    home.join("ahead")
}

/// What a name recorded in the manifest was found to be, when not as recorded: `None` when
/// it could not be looked at (gone).
type Deviation = Option<(Node, Fingerprint)>;

/// The names of a staging folder found otherwise than its manifest records them.
#[derive(Debug, Default)]
pub struct Ahead {
    deviations: Map<String, Deviation>,
}

impl Ahead {
    /// The recorded name `rel` as the survey found it, given what the manifest records
    /// (`recorded`): what `OpenDir::stat` would have answered then.
    pub(crate) fn look(
        &self,
        rel: &str,
        recorded: (Node, Fingerprint),
    ) -> std::io::Result<(Node, Fingerprint)> {
        match self.deviations.get(rel) {
            None => Ok(recorded),
            Some(Some(found)) => Ok(*found),
            Some(None) => Err(std::io::ErrorKind::NotFound.into()),
        }
    }

    /// How many names were found otherwise than recorded.
    pub fn deviations(&self) -> usize {
        self.deviations.len()
    }
}

/// What a survey made ahead found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Written down: so many names differ from their records.
    Recorded { looked: usize, deviations: usize },
    /// Nothing to survey: no staging folder, or no manifest of it.
    Nothing,
}

/// Survey the staging folder of the output folder `out` against its manifest and write the
/// record the next build takes (see the module's header).
pub fn survey(out: &Path) -> std::io::Result<Outcome> {
    let home = super::disk::home(out);
    if !home.is_dir() {
        return Ok(Outcome::Nothing);
    }
    // Waits for the build that started this survey to let go of the lock (it frees its
    // records beside the summary), or for a build started since.
    let _lock = super::disk::lock(&home, false)?;
    let spare = super::disk::spare(&home);
    let Some(ino) = super::disk::folder_ino(&spare) else {
        return Ok(Outcome::Nothing);
    };
    // The manifest's fingerprint and bytes from one open file: the record names the very
    // manifest it was checked against.
    let Ok(mut file) = fs::File::open(manifest::path(&home, ino)) else {
        return Ok(Outcome::Nothing);
    };
    let before = Fingerprint::of(&file.metadata()?);
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut bytes)?;
    let Some(m) = manifest::parse(&bytes) else {
        return Ok(Outcome::Nothing);
    };
    drop(bytes);
    if m.folders_len() == 0 {
        return Ok(Outcome::Nothing);
    }
    let open = OpenDir::open(&spare)?;
    let differs = |rel: &str, recorded: (Node, Fingerprint)| match open.stat(rel) {
        Ok(found) if found == recorded => None,
        Ok(found) => Some((rel.to_string(), Some(found))),
        Err(_) => Some((rel.to_string(), None)),
    };
    let (folders, files): (Vec<_>, Vec<_>) = rayon::join(
        || {
            (0..m.folders_len())
                .into_par_iter()
                .filter_map(|i| {
                    let (p, fp) = m.folder(i);
                    differs(p, (Node::Dir, *fp))
                })
                .collect()
        },
        || {
            (0..m.files_len())
                .into_par_iter()
                .filter_map(|i| {
                    let (p, r) = m.file(i);
                    differs(p, (Node::File, r.fp))
                })
                .collect()
        },
    );
    let looked = m.folders_len() + m.files_len();
    let deviations: Vec<(String, Deviation)> = folders.into_iter().chain(files).collect();
    let count = deviations.len();
    manifest::write_sealed(&path(&home), &encode(ino, &before, &deviations))?;
    Ok(Outcome::Recorded {
        looked,
        deviations: count,
    })
}

/// Take the record of a survey made ahead for the staging folder with inode `ino` in `home`,
/// if there is one for it and its manifest as they are now. The record is removed either
/// way: the caller, a build holding the lock, is about to change the folder.
pub(crate) fn take(home: &Path, ino: u64) -> Option<Ahead> {
    let at = path(home);
    let bytes = fs::read(&at).ok()?;
    // Removed before the folder changes; if it cannot be, it is not used.
    fs::remove_file(&at).ok()?;
    let manifest = fs::metadata(manifest::path(home, ino)).ok()?;
    decode(&bytes, ino, &Fingerprint::of(&manifest))
}

/// The record's bytes (before `write_sealed`'s checksum): the header line, the staging
/// folder's inode, its manifest's fingerprint, then each name found otherwise (code: 0 gone,
/// 1 file, 2 folder, 3 anything else; its fingerprint; its path), fingerprints and paths as
/// the manifest holds them.
fn encode(ino: u64, manifest: &Fingerprint, deviations: &[(String, Deviation)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + deviations.len() * 80);
    out.extend_from_slice(HEADER.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(&ino.to_le_bytes());
    manifest::put_fingerprint(&mut out, manifest);
    out.extend_from_slice(&(deviations.len() as u64).to_le_bytes());
    for (p, d) in deviations {
        let (code, fp) = match d {
            None => (0u8, NO_FINGERPRINT),
            Some((Node::File, fp)) => (1, *fp),
            Some((Node::Dir, fp)) => (2, *fp),
            Some((Node::Other, fp)) => (3, *fp),
        };
        out.push(code);
        manifest::put_fingerprint(&mut out, &fp);
        manifest::put_str(&mut out, p);
    }
    out
}

/// The record in `bytes`, if whole and made for the staging folder `ino` with the manifest
/// whose fingerprint is `manifest`.
fn decode(bytes: &[u8], ino: u64, manifest: &Fingerprint) -> Option<Ahead> {
    let mut r = manifest::open_sealed(bytes, HEADER)?;
    if r.u64()? != ino || r.fp()? != *manifest {
        return None;
    }
    let n = usize::try_from(r.u64()?).ok()?;
    let mut deviations = Map::with_capacity_and_hasher(n.min(bytes.len()), Default::default());
    for _ in 0..n {
        let code = r.take(1)?[0];
        let fp = r.fp()?;
        let p = r.str()?.to_string();
        let d = match code {
            0 => None,
            1 => Some((Node::File, fp)),
            2 => Some((Node::Dir, fp)),
            3 => Some((Node::Other, fp)),
            _ => return None,
        };
        deviations.insert(p, d);
    }
    r.is_done().then_some(Ahead { deviations })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(n: u64) -> Fingerprint {
        Fingerprint {
            ino: n,
            size: n * 2,
            mtime: (n as i64, 7),
            ctime: (n as i64 + 1, 8),
        }
    }

    #[test]
    fn a_record_reads_back_only_for_its_folder_and_manifest() {
        let deviations = vec![
            ("a/index.html".to_string(), None),
            ("b".to_string(), Some((Node::Dir, fp(3)))),
            ("c.html".to_string(), Some((Node::File, fp(4)))),
            ("d".to_string(), Some((Node::Other, fp(5)))),
        ];
        let mut bytes = encode(42, &fp(9), &deviations);
        let sum = xxhash_rust::xxh3::xxh3_64(&bytes);
        bytes.extend_from_slice(&sum.to_le_bytes());
        let ahead = decode(&bytes, 42, &fp(9)).expect("reads back");
        assert_eq!(ahead.deviations(), 4);
        let recorded = (Node::File, fp(1));
        assert_eq!(ahead.look("same.html", recorded).ok(), Some(recorded));
        assert!(ahead.look("a/index.html", recorded).is_err());
        assert_eq!(ahead.look("b", recorded).ok(), Some((Node::Dir, fp(3))));
        assert_eq!(
            ahead.look("c.html", recorded).ok(),
            Some((Node::File, fp(4)))
        );
        assert_eq!(ahead.look("d", recorded).ok(), Some((Node::Other, fp(5))));
        // Another staging folder, or its manifest rewritten since: not taken.
        assert!(decode(&bytes, 43, &fp(9)).is_none());
        assert!(decode(&bytes, 42, &fp(10)).is_none());
        // Cut short or changed: not taken.
        assert!(decode(&bytes[..bytes.len() - 3], 42, &fp(9)).is_none());
        let mut changed = bytes.clone();
        changed[40] ^= 1;
        assert!(decode(&changed, 42, &fp(9)).is_none());
    }

    #[test]
    fn names_found_otherwise_are_looked_up_and_the_others_are_as_recorded() {
        for n in [0, 1, 8, 9, 40] {
            let deviations: Map<String, Deviation> = (0..n as u64)
                .map(|i| (format!("p/{i}.html"), Some((Node::File, fp(i + 10)))))
                .collect();
            let ahead = Ahead { deviations };
            let recorded = (Node::File, fp(1));
            for i in 0..n as u64 {
                let name = format!("p/{i}.html");
                assert_eq!(
                    ahead.look(&name, recorded).ok(),
                    Some((Node::File, fp(i + 10)))
                );
            }
            assert_eq!(ahead.look("p/x.html", recorded).ok(), Some(recorded), "{n}");
        }
    }
}
