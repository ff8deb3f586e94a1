import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";
import { session, type Role } from "./session";
import Home from "./pages/Home.vue";

// Every page but the home page is its own chunk: a first visit loads the shell and one page.
const routes: RouteRecordRaw[] = [
  { path: "/", component: Home, meta: { title: "首页" } },
  { path: "/projects/:id", component: () => import("./pages/Project.vue"), meta: { title: "项目详情" } },
  { path: "/projects/:id/give", component: () => import("./pages/Give.vue"), meta: { title: "我要捐款" } },
  { path: "/projects/:id/teams/new", component: () => import("./pages/TeamNew.vue"), meta: { title: "发起一起捐", roles: ["donor", "org_admin", "platform_admin"] } },
  { path: "/teams/:id", component: () => import("./pages/Team.vue"), meta: { title: "一起捐" } },
  { path: "/donations/:id", component: () => import("./pages/Donation.vue"), meta: { title: "支付与感谢" } },
  { path: "/campaigns/:id", component: () => import("./pages/Campaign.vue"), meta: { title: "专题" } },
  { path: "/orgs/:id", component: () => import("./pages/Org.vue"), meta: { title: "慈善组织" } },
  { path: "/me/donations", component: () => import("./pages/MyDonations.vue"), meta: { title: "我的捐款", roles: ["donor", "org_admin", "platform_admin"] } },
  { path: "/lookup", component: () => import("./pages/Lookup.vue"), meta: { title: "捐赠查询" } },
  { path: "/verify", component: () => import("./pages/Verify.vue"), meta: { title: "票据验真" } },
  { path: "/ledger", component: () => import("./pages/Ledger.vue"), meta: { title: "公开账本" } },
  { path: "/enterprises/apply", component: () => import("./pages/EnterpriseApply.vue"), meta: { title: "爱心企业入驻", roles: ["donor", "org_admin", "platform_admin"] } },
  { path: "/enterprises/:id", component: () => import("./pages/Enterprise.vue"), meta: { title: "爱心企业" } },
  { path: "/signin", component: () => import("./pages/SignIn.vue"), meta: { title: "登录" } },
  { path: "/signin/callback", component: () => import("./pages/SignIn.vue"), meta: { title: "登录" } },
  { path: "/org/apply", component: () => import("./pages/OrgApply.vue"), meta: { title: "机构入驻申请", roles: ["donor", "org_admin", "platform_admin"] } },
  { path: "/org", component: () => import("./pages/OrgHome.vue"), meta: { title: "机构工作台", roles: ["org_admin"] } },
  { path: "/org/projects/new", component: () => import("./pages/ProjectEdit.vue"), meta: { title: "新建项目", roles: ["org_admin"] } },
  { path: "/org/projects/:id", component: () => import("./pages/ProjectEdit.vue"), meta: { title: "编辑项目", roles: ["org_admin"] } },
  { path: "/org/projects/:id/feedback", component: () => import("./pages/FeedbackPost.vue"), meta: { title: "发布项目反馈", roles: ["org_admin"] } },
  { path: "/org/projects/:id/funds", component: () => import("./pages/OrgFunds.vue"), meta: { title: "善款拨付与使用", roles: ["org_admin"] } },
  { path: "/org/imports", component: () => import("./pages/Imports.vue"), meta: { title: "导入捐赠", roles: ["org_admin", "platform_admin"] } },
  { path: "/admin", component: () => import("./pages/AdminHome.vue"), meta: { title: "平台管理", roles: ["platform_admin"] } },
  { path: "/admin/orgs", component: () => import("./pages/OrgQueue.vue"), meta: { title: "机构审核", roles: ["platform_admin"] } },
  { path: "/admin/projects", component: () => import("./pages/ProjectQueue.vue"), meta: { title: "项目审核", roles: ["platform_admin"] } },
  { path: "/admin/complaints", component: () => import("./pages/Complaints.vue"), meta: { title: "举报处理", roles: ["platform_admin"] } },
  { path: "/admin/payments", component: () => import("./pages/Payments.vue"), meta: { title: "支付异常与退款", roles: ["platform_admin"] } },
  { path: "/admin/matching", component: () => import("./pages/AdminMatching.vue"), meta: { title: "专题与配捐", roles: ["platform_admin"] } },
  { path: "/admin/compliance", component: () => import("./pages/Compliance.vue"), meta: { title: "合规", roles: ["platform_admin"] } },
  { path: "/:rest(.*)*", component: () => import("./pages/NotFound.vue"), meta: { title: "页面不存在" } },
];

export const router = createRouter({ history: createWebHistory(), routes, scrollBehavior: () => ({ top: 0 }) });

router.beforeEach((to) => {
  const roles = to.meta.roles as Role[] | undefined;
  if (roles && (!session.role || !roles.includes(session.role))) {
    return { path: "/signin", query: { next: to.fullPath, need: roles.join(",") } };
  }
});

router.afterEach((to) => {
  document.title = `${(to.meta.title as string) ?? ""} · 公益`;
});
