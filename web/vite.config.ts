import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";
import Components from "unplugin-vue-components/vite";
import { VantResolver } from "@vant/auto-import-resolver";

// `npm run dev` proxies /api to a local stack's API (make run); the built app is served by
// web/devserver.py locally and by S3 + CloudFront when deployed.
export default defineConfig({
  plugins: [vue(), Components({ resolvers: [VantResolver()], dts: false })],
  build: { target: "es2020", cssCodeSplit: true, reportCompressedSize: false },
  server: {
    proxy: {
      "/api": { target: "http://127.0.0.1:8000", rewrite: (p) => p.replace(/^\/api/, "") },
      "/__local": "http://127.0.0.1:8080",
      "/config.json": "http://127.0.0.1:8080",
    },
  },
});
