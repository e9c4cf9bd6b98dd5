//! The return slip: the RMA number, the address to send it to, the items,
//! and a QR code of the RMA number for the warehouse to scan — as a print
//! page (HTML, the QR as inline SVG) and as a PDF (A4, Helvetica, the QR
//! drawn as squares), both from the same `Slip`.
use crate::web::html::escape;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use qrcode::{Color, QrCode};

/// What the slip says, already in the shopper's language.
#[derive(Debug, Clone)]
pub struct Slip {
    pub lang: &'static str,
    pub title: String,
    pub shop_name: String,
    pub rma: String,
    pub order_label: String,
    pub order_name: String,
    pub address_label: String,
    pub address: Vec<String>,
    pub items_label: String,
    /// (title, quantity) of each line sent back.
    pub items: Vec<(String, i32)>,
    pub instructions: Vec<String>,
    pub print_label: String,
}

fn qr(rma: &str) -> Option<QrCode> {
    QrCode::new(rma.as_bytes()).ok()
}

impl Slip {
    /// The print page: one sheet, the QR code beside the RMA number.
    pub fn html(&self) -> String {
        let svg = qr(&self.rma)
            .map(|code| {
                code.render::<qrcode::render::svg::Color>()
                    .min_dimensions(160, 160)
                    .quiet_zone(true)
                    .build()
            })
            .unwrap_or_default();
        let address: String = self
            .address
            .iter()
            .map(|l| format!("{}<br>", escape(l)))
            .collect();
        let items: String = self
            .items
            .iter()
            .map(|(t, q)| format!("<tr><td>{}</td><td>× {q}</td></tr>", escape(t)))
            .collect();
        let steps: String = self
            .instructions
            .iter()
            .map(|s| format!("<li>{}</li>", escape(s)))
            .collect();
        format!(
            "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title} {rma}</title>\
<style>body{{font-family:Helvetica,Arial,sans-serif;max-width:720px;margin:24px auto;padding:0 16px;color:#111}}\
.head{{display:flex;justify-content:space-between;align-items:center;border-bottom:2px solid #111;padding-bottom:12px}}\
.rma{{font-size:32px;font-weight:700;letter-spacing:2px}}table{{width:100%;border-collapse:collapse}}td{{padding:6px 0;border-bottom:1px solid #ddd}}\
.box{{border:1px dashed #111;padding:12px;margin:16px 0}}@media print{{.noprint{{display:none}}}}</style></head><body>\
<div class=\"head\"><div><div>{shop}</div><h1>{title}</h1><div class=\"rma\" id=\"rma\">{rma}</div>\
<div>{order_label}: {order}</div></div><div aria-label=\"{rma}\">{svg}</div></div>\
<div class=\"box\"><strong>{address_label}</strong><br>{address}</div>\
<h2>{items_label}</h2><table>{items}</table><ol>{steps}</ol>\
<p class=\"noprint\"><button onclick=\"window.print()\">{print}</button></p></body></html>",
            lang = self.lang,
            title = escape(&self.title),
            rma = escape(&self.rma),
            shop = escape(&self.shop_name),
            order_label = escape(&self.order_label),
            order = escape(&self.order_name),
            address_label = escape(&self.address_label),
            items_label = escape(&self.items_label),
            print = escape(&self.print_label),
        )
    }

    /// The same slip as an A4 PDF.
    pub fn pdf(&self) -> Vec<u8> {
        let (catalog, tree, page_id, font, bold, content_id) = (
            Ref::new(1),
            Ref::new(2),
            Ref::new(3),
            Ref::new(4),
            Ref::new(5),
            Ref::new(6),
        );
        let mut pdf = Pdf::new();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree).kids([page_id]).count(1);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, 595.0, 842.0));
        page.parent(tree);
        page.contents(content_id);
        let mut resources = page.resources();
        let mut fonts = resources.fonts();
        fonts.pair(Name(b"F1"), font);
        fonts.pair(Name(b"F2"), bold);
        fonts.finish();
        resources.finish();
        page.finish();
        for (id, name) in [(font, b"Helvetica".as_slice()), (bold, b"Helvetica-Bold")] {
            pdf.type1_font(id)
                .base_font(Name(name))
                .encoding_predefined(Name(b"WinAnsiEncoding"));
        }

        let mut c = Content::new();
        let mut y = 790.0;
        let line = |c: &mut Content, font: &[u8], size: f32, x: f32, y: f32, text: &str| {
            c.begin_text();
            c.set_font(Name(font), size);
            c.next_line(x, y);
            c.show(Str(&win_ansi(text)));
            c.end_text();
        };
        line(&mut c, b"F1", 11.0, 50.0, y, &self.shop_name);
        y -= 26.0;
        line(&mut c, b"F2", 20.0, 50.0, y, &self.title);
        y -= 40.0;
        line(&mut c, b"F2", 30.0, 50.0, y, &self.rma);
        y -= 22.0;
        line(
            &mut c,
            b"F1",
            11.0,
            50.0,
            y,
            &format!("{}: {}", self.order_label, self.order_name),
        );
        if let Some(code) = qr(&self.rma) {
            let modules = code.width();
            let size = 130.0_f32;
            let cell = size / modules as f32;
            let (left, top) = (415.0_f32, 800.0_f32);
            for (i, color) in code.to_colors().iter().enumerate() {
                if *color == Color::Dark {
                    let (col, row) = ((i % modules) as f32, (i / modules) as f32);
                    c.rect(left + col * cell, top - (row + 1.0) * cell, cell, cell);
                }
            }
            c.fill_nonzero();
        }
        y -= 44.0;
        line(&mut c, b"F2", 12.0, 50.0, y, &self.address_label);
        for address in &self.address {
            y -= 16.0;
            line(&mut c, b"F1", 12.0, 50.0, y, address);
        }
        y -= 34.0;
        line(&mut c, b"F2", 12.0, 50.0, y, &self.items_label);
        for (title, quantity) in &self.items {
            y -= 18.0;
            line(
                &mut c,
                b"F1",
                11.0,
                50.0,
                y,
                &format!("{title}  x {quantity}"),
            );
        }
        y -= 30.0;
        for (i, step) in self.instructions.iter().enumerate() {
            line(&mut c, b"F1", 10.0, 50.0, y, &format!("{}. {step}", i + 1));
            y -= 15.0;
        }
        pdf.stream(content_id, &c.finish());
        pdf.finish()
    }
}

/// Text for a standard PDF font: Windows-1252 bytes, `?` for what it lacks.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            'Œ' => 0x8c,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            'œ' => 0x9c,
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slip() -> Slip {
        Slip {
            lang: "fr",
            title: "Bon de retour".into(),
            shop_name: "Bottega <Flywheel>".into(),
            rma: "R1042-1".into(),
            order_label: "Commande".into(),
            order_name: "#1042".into(),
            address_label: "À renvoyer à".into(),
            address: vec!["Bottega".into(), "Via Roma 1".into(), "10121 Torino".into()],
            items_label: "Articles".into(),
            items: vec![("Tapis de yoga en liège".into(), 1)],
            instructions: vec!["Collez ce bon sur le colis.".into()],
            print_label: "Imprimer".into(),
        }
    }

    #[test]
    fn the_print_page_escapes_and_carries_the_code() {
        let html = slip().html();
        assert!(html.contains("R1042-1") && html.contains("<svg"));
        assert!(html.contains("Bottega &lt;Flywheel&gt;"));
    }

    #[test]
    fn the_pdf_is_a_pdf() {
        let bytes = slip().pdf();
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(bytes.ends_with(b"%%EOF") || bytes.ends_with(b"%%EOF\n"));
        assert_eq!(win_ansi("À€x"), vec![0xc0, 0x80, b'x']);
    }
}
