//! Demo news: about ten articles of the demo task forces, written by their editors (*humas*)
//! and published by their administrators (four eyes), among them the report of the 2019
//! national coordination meeting (*Rakornas*) in Kupang with its 14 recommendations, one
//! scheduled for later, one waiting for review and one taken down. The texts are invented
//! for the demo (marked "contoh"); the recommendations follow the meeting's themes as
//! `shared/DOMAIN.md` lists them, not its official wording.

use crate::demo::person;
use anyhow::Result;
use domain::news::{ArticleInput, NewArticle, NewsStep};
use store::Store;
use store::news::StepInput;

/// What becomes of a demo article.
#[derive(Clone, Copy, PartialEq)]
enum Fate {
    /// Published at this local time (WIB).
    PublishedAt(&'static str),
    /// Published this many days ago.
    Published(i64),
    /// Published, to appear this many days from now.
    Scheduled(i64),
    /// Sent for review, waiting.
    InReview,
    /// Published, then taken down.
    Unpublished(i64),
}

/// (writer, publisher, category, region, title, lead, body, fate)
type Demo = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Fate,
);

const RAKORNAS_BODY: &str = "*Artikel contoh untuk data demo Gugus; isinya disusun ulang dari tema rapat, bukan naskah resmi.*

Rapat Koordinasi Nasional (Rakornas) Gugus Tugas Pencegahan dan Penanganan Tindak Pidana Perdagangan Orang (PP-TPPO) tahun 2019 berlangsung di Kupang, Nusa Tenggara Timur. Hadir gugus tugas provinsi dan kabupaten/kota, kementerian dan lembaga anggota gugus tugas pusat, kepolisian, BP3MI, lembaga layanan dan organisasi masyarakat.

Di akhir rapat seluruh gugus tugas provinsi menandatangani kesepakatan bersama, dan rapat menghasilkan **14 rekomendasi**:

1. Pengelolaan data terpadu, dengan petugas data (*PIC data*) di setiap tingkat yang memverifikasi dan mengesahkan data dari tingkat di bawahnya.
2. Layanan berbasis aplikasi, agar data korban, pelaku dan layanan dicatat sekali dalam bentuk baku.
3. Penanganan yang melibatkan 5K: *kampung, kampus, komunitas, korporasi* dan *kota*.
4. Koordinasi dan pembagian tugas yang jelas antaranggota gugus tugas dan sub gugus tugas.
5. Model pendampingan dan pemulihan korban sampai paripurna, lintas daerah.
6. Kompensasi negara bagi korban, di samping restitusi dari pelaku.
7. Pengarusutamaan pencegahan dan penanganan TPPO dalam perencanaan dan penganggaran (RAN dan RAD).
8. Penganggaran sampai tingkat desa bersama Kementerian Dalam Negeri dan Kementerian Desa (APBDes, Dana Desa).
9. Monitoring dan evaluasi yang terstruktur, sistematis dan masif (TSM).
10. Kerja sama antardaerah dengan alur kerja, pembagian tugas dan anggaran (perjanjian kerja sama).
11. Pelibatan dunia usaha: rekrutmen yang etis, tanpa biaya bagi pekerja, dan pemeriksaan rantai pasok.
12. Pemetaan kerawanan daerah asal, transit dan tujuan.
13. Penguatan layanan pengaduan dan rujukan, termasuk SAPA 129.
14. Laporan tahunan gugus tugas daerah kepada gugus tugas di atasnya.

Setiap rekomendasi akan dipantau tindak lanjutnya oleh sekretariat gugus tugas.";

const ARTICLES: &[Demo] = &[
    (
        "humas.nasional",
        "admin.nasional",
        "coordination",
        "53",
        "Rakornas Gugus Tugas PP-TPPO 2019 di Kupang menghasilkan 14 rekomendasi",
        "Gugus tugas dari seluruh provinsi bertemu di Kupang, menandatangani kesepakatan bersama dan menyepakati 14 rekomendasi, dari data terpadu sampai pemetaan daerah rawan (contoh).",
        RAKORNAS_BODY,
        Fate::PublishedAt("2019-12-05T16:00"),
    ),
    (
        "humas.ntt",
        "admin.ntt",
        "awareness",
        "53.04",
        "Sosialisasi migrasi aman di desa-desa perbatasan Belu",
        "Tim gugus tugas provinsi dan Kabupaten Belu mengunjungi lima desa untuk menjelaskan jalur kerja ke luar negeri yang aman (contoh).",
        "*Artikel contoh.*\n\nWarga diajak mengenali tanda perekrutan ilegal: janji gaji tinggi tanpa kontrak, dokumen yang ditahan, dan biaya yang dibebankan kepada calon pekerja.\n\n## Yang perlu diingat\n\n- Periksa izin perusahaan penempatan di BP3MI.\n- Jangan serahkan paspor kepada perekrut.\n- Laporkan ke SAPA 129 bila ragu.",
        Fate::Published(40),
    ),
    (
        "humas.kalteng",
        "admin.kalteng",
        "services",
        "62.71",
        "UPTD PPA Palangka Raya dampingi tiga korban pulang ke daerah asal",
        "Pendampingan sampai pemulihan: tiga perempuan korban eksploitasi di perkebunan kembali ke keluarga dengan rujukan layanan di daerah asal (contoh).",
        "*Artikel contoh.*\n\nSetelah pemeriksaan kesehatan dan pendampingan psikologis, para korban dipulangkan bersama petugas. Rujukan dikirim ke gugus tugas daerah asal agar layanan berlanjut.",
        Fate::Published(25),
    ),
    (
        "humas.kupang",
        "admin.ntt",
        "activity",
        "53.01",
        "Pelatihan petugas data gugus tugas Kabupaten Kupang",
        "Petugas data dari dinas sosial, DP3A dan kepolisian berlatih mencatat kasus sekali dalam bentuk baku (contoh).",
        "*Artikel contoh.*\n\nPelatihan membahas pencatatan kasus, verifikasi berjenjang, dan cara menjaga kerahasiaan identitas korban.",
        Fate::Published(18),
    ),
    (
        "humas.nasional",
        "admin.nasional",
        "policy",
        "",
        "Rencana aksi daerah PP-TPPO dipantau sampai tingkat desa",
        "Gugus tugas pusat meminta provinsi dan kabupaten/kota memasukkan kegiatan pencegahan ke dalam rencana dan anggaran daerah (contoh).",
        "*Artikel contoh.*\n\nPemantauan memakai indikator yang sama di semua tingkat agar capaian daerah dapat dijumlahkan ke tingkat nasional.",
        Fate::Published(12),
    ),
    (
        "humas.kalteng",
        "admin.kalteng",
        "coordination",
        "62",
        "Rapat koordinasi gugus tugas Kalimantan Tengah bahas kerja sama dengan NTT",
        "Provinsi asal dan tujuan menyepakati alur rujukan korban dan pembagian biaya pemulangan (contoh).",
        "*Artikel contoh.*\n\nKedua gugus tugas akan menyusun perjanjian kerja sama dengan alur kerja, pembagian tugas dan anggaran.",
        Fate::Published(7),
    ),
    (
        "humas.nasional",
        "admin.nasional",
        "announcement",
        "",
        "Layanan SAPA 129 dan cara melapor dugaan perdagangan orang",
        "Siapa pun dapat melapor, juga tanpa nama, melalui SAPA 129 atau formulir pengaduan di situs ini (contoh).",
        "*Artikel contoh.*\n\nFormulir pengaduan memberi kode pelacakan dan PIN. Dengan keduanya pelapor dapat melihat status pengaduannya dan menambah informasi.",
        Fate::Published(3),
    ),
    (
        "humas.ntt",
        "admin.ntt",
        "awareness",
        "53",
        "Kampanye kampus: mahasiswa NTT jadi relawan pencegahan",
        "Tiga perguruan tinggi di Kupang membentuk kelompok relawan pencegahan perdagangan orang (contoh).",
        "*Artikel contoh.*\n\nRelawan akan mendampingi desa asal pekerja migran dalam sosialisasi migrasi aman.",
        Fate::Scheduled(5),
    ),
    (
        "humas.palangkaraya",
        "admin.kalteng",
        "activity",
        "62.71",
        "Kota Palangka Raya siapkan rumah aman baru",
        "Pemerintah kota menyiapkan rumah aman bagi korban yang menunggu pemulangan (contoh).",
        "*Artikel contoh.*\n\nRumah aman dikelola UPTD PPA bersama dinas sosial.",
        Fate::InReview,
    ),
    (
        "humas.kalteng",
        "admin.kalteng",
        "announcement",
        "62",
        "Jadwal layanan pengaduan selama libur akhir tahun",
        "Pengumuman yang sudah tidak berlaku (contoh): ditarik dari situs publik.",
        "*Artikel contoh.*\n\nPengumuman ini sudah tidak berlaku.",
        Fate::Unpublished(60),
    ),
];

/// Loads the demo articles once (nothing when the national editor's desk has articles).
pub async fn load(store: &Store) -> Result<usize> {
    let err = crate::config::describe_store;
    let Some(national) = person(store, "humas.nasional").await? else {
        return Ok(0);
    };
    if store.news_desk(&national, 1).await.map_err(err)?.total > 0 {
        return Ok(0);
    }
    let day = 86_400_000;
    let now = store.now_ms();
    let mut n = 0;
    for (writer, publisher, category, region, title, lead, body, fate) in ARTICLES {
        let (Some(w), Some(p)) = (
            person(store, writer).await?,
            person(store, publisher).await?,
        ) else {
            continue;
        };
        let a = NewArticle::parse(&ArticleInput {
            title: (*title).into(),
            lead: (*lead).into(),
            body: (*body).into(),
            category: (*category).into(),
            region: (*region).into(),
            cover_alt: String::new(),
        })
        .map_err(crate::config::describe_invalid)?;
        let id = store.create_article(&w, &a, None).await.map_err(err)?;
        let mut version = 1;
        let mut step = async |who: &domain::Actor, s: NewsStep, at: Option<i64>| {
            let r = store
                .news_step(
                    who,
                    id,
                    version,
                    s,
                    &StepInput {
                        publish_at: at,
                        note: String::new(),
                    },
                )
                .await
                .map_err(err);
            version += 1;
            r
        };
        step(&w, NewsStep::Submit, None).await?;
        match fate {
            Fate::PublishedAt(t) => {
                let at = domain::value::instant::parse(t, domain::time::Zone::Wib);
                step(&p, NewsStep::Publish, at).await?
            }
            Fate::Published(d) => step(&p, NewsStep::Publish, Some(now - d * day)).await?,
            Fate::Scheduled(d) => step(&p, NewsStep::Publish, Some(now + d * day)).await?,
            Fate::InReview => {}
            Fate::Unpublished(d) => {
                step(&p, NewsStep::Publish, Some(now - d * day)).await?;
                step(&p, NewsStep::Unpublish, None).await?;
            }
        }
        n += 1;
    }
    Ok(n)
}

/// One synthetic open-data release (ε = 2, a fifth of the default budget) when there is none
/// yet, so `/data` shows what a release, its ledger and its utility report look like.
pub async fn load_release(store: &Store) -> Result<bool> {
    if !store
        .synthetic_ledger(10.0)
        .await
        .map_err(crate::config::describe_store)?
        .releases
        .is_empty()
    {
        return Ok(false);
    }
    let admin = domain::Actor::system(domain::UnitId(1));
    store
        .release_synthetic(&admin, 2.0, 10.0)
        .await
        .map_err(crate::config::describe_store)?;
    Ok(true)
}
