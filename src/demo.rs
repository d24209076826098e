//! The bundled demo data: real subsets of every dataset and format (see `fixtures/`),
//! compiled into the binary so that `secop serve` works on an empty data directory from
//! anywhere.

use std::path::{Path, PathBuf};

use crate::ingest::files::{FileReport, Progress, import_files};
use crate::{Error, Result};

/// The files, by name, as in `fixtures/`.
pub const FILES: &[(&str, &[u8])] = &[
    (
        "procesos.f789-7hwg.json.gz",
        include_bytes!("../fixtures/secop1/procesos.f789-7hwg.json.gz"),
    ),
    (
        "procesos.p6dx-8zbt.jsonl.gz",
        include_bytes!("../fixtures/secop2/procesos.p6dx-8zbt.jsonl.gz"),
    ),
    (
        "procesos-adjudicados.p6dx-8zbt.csv.gz",
        include_bytes!("../fixtures/secop2/procesos-adjudicados.p6dx-8zbt.csv.gz"),
    ),
    (
        "contratos.jbjy-vk9h.csv",
        include_bytes!("../fixtures/secop2/contratos.jbjy-vk9h.csv"),
    ),
    (
        "contratos.ANTIOQUIA-ABEJORRAL.csv",
        include_bytes!("../fixtures/secop2/web-export/contratos.ANTIOQUIA-ABEJORRAL.csv"),
    ),
    (
        "contratos.VAUPES-MITU.csv",
        include_bytes!("../fixtures/secop2/web-export/contratos.VAUPES-MITU.csv"),
    ),
];

/// Writes the bundled files to a fresh directory and imports them into `data_dir`.
pub fn import(data_dir: &Path, progress: &dyn Progress) -> Result<Vec<FileReport>> {
    let tmp = std::env::temp_dir().join(format!("secop-demo-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)
        .map_err(|e| Error::file(&tmp, format!("cannot create a temporary directory: {e}")))?;
    let mut paths: Vec<PathBuf> = Vec::new();
    for (name, bytes) in FILES {
        let p = tmp.join(name);
        std::fs::write(&p, bytes).map_err(|e| Error::file(&p, format!("cannot write: {e}")))?;
        paths.push(p);
    }
    let r = import_files(data_dir, &paths, None, progress);
    let _ = std::fs::remove_dir_all(&tmp);
    r
}
