// The hosts WeCom documents for its server API (docs/vendors.md); anything else needs the operator's allow-list.
export const wecomDocumentedHosts: readonly string[] = ['qyapi.weixin.qq.com'];
