"""Follow the money: payees, disbursements with maker-checker, receipts, use of funds, the public tree."""
