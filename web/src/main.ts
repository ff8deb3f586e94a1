import { createApp } from "vue";
import App from "./App.vue";
import { router } from "./router";
import { loadConfig } from "./api/client";
import "./style.css";

loadConfig().finally(() => createApp(App).use(router).mount("#app"));
