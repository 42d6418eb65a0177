// The hosts Feishu and Lark document for their open API (docs/vendors.md); anything else needs the operator's allow-list.
export const feishuDocumentedHosts: readonly string[] = ['open.feishu.cn', 'open.larksuite.com'];
