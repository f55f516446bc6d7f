//! Renders the SVG with resvg (fonts loaded from tests/fonts, never from the
//! system) and checks the picture: not blank, every label's box inside the
//! canvas and overlapping no other, and the real glyphs inside the boxes the
//! layout reserved. `SANKEY_WRITE_DOCS=1` also writes docs/img/boiler.{svg,png}.

mod common;

use resvg::{tiny_skia, usvg};
use sankey::{Diagram, LabelKind, SankeyOptions, prepare};

fn options() -> usvg::Options<'static> {
    let mut opt = usvg::Options::default();
    let db = opt.fontdb_mut();
    db.load_font_data(include_bytes!("fonts/DejaVuSans.ttf").to_vec());
    db.load_font_data(include_bytes!("fonts/DejaVuSans-Bold.ttf").to_vec());
    opt.font_family = "DejaVu Sans".to_owned();
    opt
}

fn rasterise(svg: &str) -> (usvg::Tree, tiny_skia::Pixmap) {
    let tree = usvg::Tree::from_str(svg, &options()).expect("resvg parses the SVG");
    let size = tree.size().to_int_size();
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    (tree, pixmap)
}

/// (left, top, right, bottom) in px.
type Bounds = (f64, f64, f64, f64);

fn bounds(r: usvg::Rect) -> Bounds {
    (
        r.left() as f64,
        r.top() as f64,
        r.right() as f64,
        r.bottom() as f64,
    )
}

fn texts(group: &usvg::Group, out: &mut Vec<(Bounds, Bounds)>) {
    for node in group.children() {
        match node {
            usvg::Node::Group(g) => texts(g, out),
            usvg::Node::Text(t) => out.push((
                bounds(t.abs_bounding_box()),
                bounds(t.flattened().abs_bounding_box()),
            )),
            _ => {}
        }
    }
}

fn check(name: &str, d: &Diagram) {
    let svg = d.to_svg();
    let (tree, pixmap) = rasterise(&svg);
    if let Some(dir) = std::env::var_os("SANKEY_PNG_DIR") {
        pixmap
            .save_png(std::path::Path::new(&dir).join(format!("{name}.png")))
            .unwrap();
    }
    assert_eq!(
        (pixmap.width(), pixmap.height()),
        (d.width as u32, d.height as u32),
        "{name}: canvas size"
    );

    // Not blank: a real share of the pixels is not background, in several colours.
    let px = pixmap.pixels();
    let inked = px
        .iter()
        .filter(|p| (p.red(), p.green(), p.blue()) != (255, 255, 255))
        .count();
    assert!(
        inked as f64 > 0.05 * px.len() as f64,
        "{name}: only {inked} of {} pixels drawn",
        px.len()
    );
    let mut colours: Vec<(u8, u8, u8)> =
        px.iter().map(|p| (p.red(), p.green(), p.blue())).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 20, "{name}: {} colours", colours.len());

    // Layout boxes: inside the canvas, pairwise disjoint.
    for b in &d.labels {
        assert!(
            b.x >= 0.0 && b.y >= 0.0 && b.x + b.width <= d.width && b.y + b.height <= d.height,
            "{name}: label {:?} outside the {}x{} canvas",
            b.lines,
            d.width,
            d.height
        );
    }
    for (i, a) in d.labels.iter().enumerate() {
        for b in &d.labels[i + 1..] {
            assert!(!a.overlaps(b), "{name}: labels overlap: {a:?} and {b:?}");
        }
    }

    // Real text, as laid out by resvg with DejaVu Sans: every glyph run lies
    // inside the box reserved for it (text elements are in label order).
    let mut runs = Vec::new();
    texts(tree.root(), &mut runs);
    let label_count: usize = d.labels.len();
    assert_eq!(runs.len(), label_count, "{name}: one <text> per label");
    for (b, (layout_box, ink)) in d.labels.iter().zip(&runs) {
        let tol = 0.5;
        for (what, r) in [("advance box", layout_box), ("glyph ink", ink)] {
            let horizontal_ok = r.0 >= b.x - tol && r.2 <= b.x + b.width + tol;
            assert!(
                horizontal_ok,
                "{name}: {what} of {:?} spans x {:.1}..{:.1}, reserved {:.1}..{:.1}",
                b.lines,
                r.0,
                r.2,
                b.x,
                b.x + b.width
            );
        }
        assert!(
            ink.1 >= b.y - tol && ink.3 <= b.y + b.height + tol,
            "{name}: glyphs of {:?} span y {:.1}..{:.1}, reserved {:.1}..{:.1}",
            b.lines,
            ink.1,
            ink.3,
            b.y,
            b.y + b.height
        );
        if b.kind == LabelKind::Node || b.kind == LabelKind::Link {
            assert!(
                ink.2 - ink.0 > 1.0,
                "{name}: label {:?} drew nothing",
                b.lines
            );
        }
    }
}

#[test]
fn boiler_renders() {
    let d = prepare(&common::boiler(), &SankeyOptions::default()).unwrap();
    check("boiler", &d);
    if std::env::var_os("SANKEY_WRITE_DOCS").is_some() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/img");
        std::fs::write(format!("{dir}/sankey-boiler.svg"), d.to_svg()).unwrap();
        let (_, pixmap) = rasterise(&d.to_svg());
        pixmap.save_png(format!("{dir}/sankey-boiler.png")).unwrap();
        let plant = prepare(&common::plant(), &common::circular()).unwrap();
        std::fs::write(format!("{dir}/sankey-plant.svg"), plant.to_svg()).unwrap();
    }
}

#[test]
fn furnace_renders() {
    check(
        "furnace",
        &prepare(&common::furnace(), &SankeyOptions::default()).unwrap(),
    );
}

#[test]
fn plant_with_recovery_loop_renders() {
    check(
        "plant",
        &prepare(&common::plant(), &common::circular()).unwrap(),
    );
}

#[test]
fn folded_site_renders() {
    check(
        "site-200",
        &prepare(&common::site(200, 7), &SankeyOptions::default()).unwrap(),
    );
}

#[test]
fn full_node_limit_renders_without_overlap() {
    // 50 nodes, nothing folded: the label guarantee holds up to the limit.
    let g = common::site(49, 3);
    let d = prepare(&g, &SankeyOptions::default()).unwrap();
    assert_eq!(d.nodes.len(), 50);
    check("site-50", &d);
}
