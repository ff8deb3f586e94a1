export function yuan(fen: number | null | undefined): string {
  if (fen === null || fen === undefined) return "—";
  return `¥${(fen / 100).toLocaleString("zh-CN", { minimumFractionDigits: fen % 100 ? 2 : 0, maximumFractionDigits: 2 })}`;
}

export function percent(part: number, whole: number): number {
  return whole > 0 ? Math.min(100, Math.round((part / whole) * 1000) / 10) : 0;
}

export function day(iso: string | null | undefined): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleDateString("zh-CN", { timeZone: "Asia/Shanghai" });
}

export function time(iso: string | null | undefined): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
}

export const STATUS: Record<string, string> = {
  draft: "草稿",
  pending_review: "待审核",
  approved: "已通过",
  rejected: "已驳回",
  online: "募捐中",
  offline: "已下线",
  ended: "已结束",
  closed: "已结项",
  pending: "待支付",
  paid: "已支付",
  refunded: "已退款",
  expired: "已过期",
  open: "待处理",
  answered: "已答复",
  waiting_upload: "等待上传",
  processing: "处理中",
  completed: "已完成",
  completed_with_errors: "完成（有错误行）",
  failed: "失败",
};

export const CATEGORIES = ["扶贫济困", "医疗救助", "教育助学", "灾害救助", "乡村振兴", "环境保护", "其他"] as const;
export const PROVINCES = ["北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "香港", "澳门", "台湾"] as const;
