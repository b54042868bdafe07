"""The conversation's own messages in Japanese, Korean and English.

The success and failure lines of the cancel task are the product guide's
(「ご依頼通りに注文キャンセルが完了しました。」, 「一時的なエラーが発生しました。オペレーターにお繋ぎします。」).
Command output (order lists, ETA, return and address flows) comes from the
command runtime's own catalogue.
"""

from __future__ import annotations

from typing import Any

from .model import Lang, Reply

TEXTS: dict[str, dict[Lang, str]] = {
    "menu": {"en": "How can I help? Reply with a number.", "ja": "ご用件を番号でお選びください。",
             "ko": "무엇을 도와드릴까요? 번호로 답해 주세요."},
    "ask_contact": {"en": "To find your orders, please enter your mobile number (or e-mail address).",
                    "ja": "ご注文を確認するため、携帯電話番号(またはメールアドレス)を入力してください。",
                    "ko": "주문 확인을 위해 휴대폰 번호(또는 이메일 주소)를 입력해 주세요."},
    "bad_contact": {"en": "That does not look like a mobile number or an e-mail address. Please try again.",
                    "ja": "携帯電話番号またはメールアドレスの形式ではないようです。もう一度入力してください。",
                    "ko": "휴대폰 번호나 이메일 주소 형식이 아닙니다. 다시 입력해 주세요."},
    "code_sent": {"en": "We sent a 6-digit code to {contact}. Please enter it (valid for 3 minutes). "
                        "Type \"resend\" for a new code.",
                  "ja": "{contact} に6桁の認証コードを送信しました。3分以内に入力してください。"
                        "再送は「再送」と入力してください。",
                  "ko": "{contact}(으)로 6자리 인증번호를 보냈습니다. 3분 안에 입력해 주세요. "
                        "재전송은 \"재전송\"이라고 입력해 주세요."},
    "code_format": {"en": "Please enter the 6-digit code.", "ja": "6桁の認証コードを入力してください。",
                    "ko": "6자리 인증번호를 입력해 주세요."},
    "code_wrong": {"en": "That code is not right. {tries_left} tries left.",
                   "ja": "認証コードが正しくありません。残り{tries_left}回です。",
                   "ko": "인증번호가 올바르지 않습니다. {tries_left}회 남았습니다."},
    "code_expired": {"en": "The code has expired. Type \"resend\" for a new one.",
                     "ja": "認証コードの有効期限が切れました。「再送」と入力してください。",
                     "ko": "인증번호가 만료되었습니다. \"재전송\"이라고 입력해 주세요."},
    "code_wait": {"en": "Please wait {seconds} seconds before asking for another code.",
                  "ja": "次の認証コードは{seconds}秒後に送信できます。",
                  "ko": "{seconds}초 후에 인증번호를 다시 받을 수 있습니다."},
    "pick_identity": {"en": "Which account should I use?", "ja": "どのアカウントでご確認しますか？",
                      "ko": "어떤 계정으로 확인할까요?"},
    "identity_member": {"en": "Member account {label}", "ja": "会員アカウント {label}", "ko": "회원 계정 {label}"},
    "identity_guest": {"en": "{label} guest order(s)", "ja": "非会員のご注文 {label}件", "ko": "비회원 주문 {label}건"},
    "orders": {"en": "Your latest orders:", "ja": "最新のご注文です。", "ko": "최근 주문 내역입니다."},
    "order_line": {"en": "{order_id} · {status} · {items}", "ja": "{order_id} ・ {status} ・ {items}",
                   "ko": "{order_id} · {status} · {items}"},
    "pick_order": {"en": "Which order would you like to cancel?", "ja": "キャンセルするご注文をお選びください。",
                   "ko": "취소할 주문을 선택해 주세요."},
    "no_cancellable": {"en": "There are no products that can be cancelled.",
                       "ja": "注文キャンセル可能な商品がありません。", "ko": "취소 가능한 상품이 없습니다."},
    "pick_scope": {"en": "Cancel the whole order, or only some items?", "ja": "ご注文全体をキャンセルしますか、"
                   "一部の商品のみキャンセルしますか？", "ko": "주문 전체를 취소할까요, 일부 상품만 취소할까요?"},
    "scope_whole": {"en": "The whole order", "ja": "注文全体", "ko": "주문 전체"},
    "scope_items": {"en": "Some items", "ja": "一部の商品", "ko": "일부 상품"},
    "pick_items": {"en": "Which items? Reply with their numbers, e.g. 1,3.",
                   "ja": "キャンセルする商品の番号を入力してください(例: 1,3)。",
                   "ko": "취소할 상품 번호를 입력해 주세요(예: 1,3)."},
    "ask_account": {"en": "The refund goes to a bank account. Please send: bank, account number, holder.",
                    "ja": "返金先の口座が必要です。「銀行名, 口座番号, 名義」の形でお送りください。",
                    "ko": "환불 계좌가 필요합니다. \"은행, 계좌번호, 예금주\" 형식으로 보내 주세요."},
    "bad_account": {"en": "Please send the bank, the account number and the holder, separated by commas.",
                    "ja": "銀行名、口座番号、名義をカンマ区切りでお送りください。",
                    "ko": "은행, 계좌번호, 예금주를 쉼표로 구분해 보내 주세요."},
    "pick_reason": {"en": "Why are you cancelling?", "ja": "キャンセル理由をお選びください。",
                    "ko": "취소 사유를 선택해 주세요."},
    "reason_changed_mind": {"en": "Changed my mind", "ja": "気が変わった", "ko": "단순 변심"},
    "reason_wrong_order": {"en": "Ordered by mistake", "ja": "注文を間違えた", "ko": "주문 실수"},
    "reason_delivery": {"en": "Delivery takes too long", "ja": "配送が遅い", "ko": "배송 지연"},
    "reason_other": {"en": "Other", "ja": "その他", "ko": "기타"},
    "confirm": {"en": "Please confirm: cancel {what} of order {order_id} ({reason}){refund}. Reply \"yes\" to go "
                      "ahead or \"no\" to stop.",
                "ja": "ご確認ください: ご注文 {order_id} の{what}をキャンセルします({reason}){refund}。"
                      "よろしければ「はい」、中止は「いいえ」とお答えください。",
                "ko": "확인해 주세요: 주문 {order_id}의 {what}을(를) 취소합니다({reason}){refund}. "
                      "진행하려면 \"네\", 중단하려면 \"아니요\"라고 답해 주세요."},
    "what_whole": {"en": "all items", "ja": "全商品", "ko": "전체 상품"},
    "what_items": {"en": "{count} item(s)", "ja": "{count}点の商品", "ko": "상품 {count}개"},
    "refund_bank": {"en": "; refund by bank transfer to the account given", "ja": "。返金はご指定の口座へ振り込みます",
                    "ko": ". 환불은 입력하신 계좌로 송금됩니다"},
    "confirm_yes_no": {"en": "Please reply \"yes\" or \"no\".", "ja": "「はい」または「いいえ」でお答えください。",
                       "ko": "\"네\" 또는 \"아니요\"로 답해 주세요."},
    "stopped": {"en": "All right, nothing was changed.", "ja": "かしこまりました。変更は行っていません。",
                "ko": "알겠습니다. 아무것도 변경하지 않았습니다."},
    "cancel_done": {"en": "Your order has been cancelled as requested.",
                    "ja": "ご依頼通りに注文キャンセルが完了しました。",
                    "ko": "요청하신 대로 주문 취소가 완료되었습니다."},
    "temporary_error": {"en": "A temporary error occurred. Connecting you to an operator.",
                        "ja": "一時的なエラーが発生しました。オペレーターにお繋ぎします。",
                        "ko": "일시적인 오류가 발생했습니다. 상담원에게 연결해 드리겠습니다."},
    "handed_over": {"en": "Connecting you to an operator. Please wait a moment.",
                    "ja": "オペレーターにお繋ぎします。少々お待ちください。",
                    "ko": "상담원에게 연결해 드리겠습니다. 잠시만 기다려 주세요."},
    "verify_failed": {"en": "We could not verify you. Connecting you to an operator.",
                      "ja": "本人確認ができませんでした。オペレーターにお繋ぎします。",
                      "ko": "본인 확인에 실패했습니다. 상담원에게 연결해 드리겠습니다."},
    "no_orders": {"en": "We could not find any orders. Connecting you to an operator.",
                  "ja": "ご注文が見つかりませんでした。オペレーターにお繋ぎします。",
                  "ko": "주문 내역을 찾을 수 없습니다. 상담원에게 연결해 드리겠습니다."},
    "pick_number": {"en": "Please reply with one of the numbers.", "ja": "番号でお答えください。",
                    "ko": "번호로 답해 주세요."},
    "intent_orders": {"en": "Order history", "ja": "注文履歴", "ko": "주문 내역"},
    "intent_cancel": {"en": "Cancel an order", "ja": "注文キャンセル", "ko": "주문 취소"},
    "intent_eta": {"en": "Shipping date", "ja": "発送予定日", "ko": "배송 예정일"},
    "intent_return": {"en": "Return / exchange", "ja": "返品/交換", "ko": "반품/교환"},
    "intent_address": {"en": "Change delivery address", "ja": "配送先変更", "ko": "배송지 변경"},
    "intent_operator": {"en": "Talk to an operator", "ja": "オペレーターにつなぐ", "ko": "상담원 연결"},
    "command_output": {"en": "{text}", "ja": "{text}", "ko": "{text}"},
    "status_unknown": {"en": "in progress", "ja": "処理中", "ko": "처리 중"},
}


def render(reply: Reply, lang: Lang) -> str:
    """The text of ``reply`` in ``lang``, numbered options on their own lines."""
    template = TEXTS[reply.key][lang]
    params: dict[str, Any] = {k: (label(v, lang) if isinstance(v, str) and v.startswith("@") else v)
                              for k, v in reply.params.items()}
    lines = [template.format(**params)]
    lines += [f"{n}. {label(o.label, lang)}" for n, o in enumerate(reply.options, 1)]
    return "\n".join(lines)


def label(text: str, lang: Lang) -> str:
    """``@key|param=value`` labels are catalogue entries; anything else is shown as it is."""
    if not text.startswith("@"):
        return text
    key, _, rest = text[1:].partition("|")
    params = dict(p.split("=", 1) for p in rest.split("|") if "=" in p)
    return TEXTS[key][lang].format(**params)
