package uk.nhs.callscribe.hapi;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.batch2.jobs.config.Batch2JobsConfig;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.config.HapiJpaConfig;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.api.SearchTotalModeEnum;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import jakarta.persistence.EntityManagerFactory;
import java.util.Properties;
import javax.sql.DataSource;
import org.apache.commons.dbcp2.BasicDataSource;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;

/**
 * A HAPI FHIR JPA server (R4) for the project's tests: HAPI's own JPA configuration
 * (JpaR4Config + HapiJpaConfig) on an in-memory H2 database, served by embedded Jetty
 * at http://127.0.0.1:PORT/fhir on loopback only. Port: first argument, else $HAPI_PORT,
 * else 8091. Nothing is kept between runs: every start is an empty server.
 */
public final class Launcher {

	public static void main(String[] args) {
		try {
			run(args);
		} catch (Throwable t) { // Spring's and HAPI's threads would keep a failed JVM alive
			t.printStackTrace();
			System.err.println("callscribe-hapi: failed to start: " + t);
			System.exit(1);
		}
	}

	private static void run(String[] args) throws Exception {
		long t0 = System.nanoTime();
		String p = args.length > 0 ? args[0] : System.getenv().getOrDefault("HAPI_PORT", "8091");
		int port = Integer.parseInt(p);

		Server jetty = new Server();
		ServerConnector http = new ServerConnector(jetty);
		http.setHost("127.0.0.1"); // loopback only: this server has no authentication
		http.setPort(port); // 0: any free port (the ready line names it)
		jetty.addConnector(http);
		http.open(); // bind first: a port in use fails in a second, not after HAPI's start-up

		AnnotationConfigApplicationContext ctx = new AnnotationConfigApplicationContext(Config.class);
		ctx.registerShutdownHook();

		ServletContextHandler context = new ServletContextHandler();
		context.setContextPath("/");
		ServletHolder holder = new ServletHolder(ctx.getBean(RestfulServer.class));
		holder.setInitOrder(1); // initialise at start-up, not on the first request
		context.addServlet(holder, "/fhir/*");
		jetty.setHandler(context);
		jetty.setStopAtShutdown(true);
		jetty.start();
		System.err.printf("callscribe-hapi: ready at http://127.0.0.1:%d/fhir in %.1f s%n",
				http.getLocalPort(), (System.nanoTime() - t0) / 1e9);
		jetty.join();
	}

	@Configuration
	@Import({JpaR4Config.class, HapiJpaConfig.class, JpaBatch2Config.class, SubscriptionChannelConfig.class, Batch2JobsConfig.class, ThreadPoolFactoryConfig.class})
	public static class Config {

		/** The settings changed from HAPI's defaults (scripts/hapi/README.md lists them). */
		@Bean
		public JpaStorageSettings storageSettings() {
			JpaStorageSettings s = new JpaStorageSettings();
			// Tests count resources right after writing them: never answer a search from a cached one.
			s.setReuseCachedSearchResultsForMillis(null);
			// Every searchset carries Bundle.total (HAPI leaves it out of large first pages).
			s.setDefaultTotalMode(SearchTotalModeEnum.ACCURATE);
			// A conditional reference that matches nothing must fail, not create a placeholder.
			s.setAutoCreatePlaceholderReferenceTargets(false);
			// Let tests delete what they made, and start clean with $expunge if they want.
			s.setExpungeEnabled(true);
			s.setAllowMultipleDelete(true);
			return s;
		}

		@Bean
		public PartitionSettings partitionSettings() {
			return new PartitionSettings();
		}

		@Bean(destroyMethod = "close")
		public DataSource dataSource() {
			BasicDataSource ds = new BasicDataSource();
			ds.setDriver(new org.h2.Driver());
			// In memory, kept while the JVM lives; nothing touches the disk.
			ds.setUrl("jdbc:h2:mem:callscribe;DB_CLOSE_DELAY=-1");
			ds.setUsername("sa");
			ds.setPassword("");
			ds.setMaxTotal(10);
			return ds;
		}

		@Primary
		@Bean
		public LocalContainerEntityManagerFactoryBean entityManagerFactory(
				ConfigurableListableBeanFactory beanFactory, FhirContext fhirContext, JpaStorageSettings settings) {
			LocalContainerEntityManagerFactoryBean emf =
					HapiEntityManagerFactoryUtil.newEntityManagerFactory(beanFactory, fhirContext, settings);
			emf.setPersistenceUnitName("HAPI_PU");
			emf.setDataSource(dataSource());
			Properties jpa = new Properties();
			jpa.put("hibernate.dialect", HapiFhirH2Dialect.class.getName());
			jpa.put("hibernate.hbm2ddl.auto", "update"); // create the schema in the empty H2
			jpa.put("hibernate.search.enabled", "false"); // no Lucene/Elasticsearch full-text index
			jpa.put("hibernate.format_sql", "false");
			jpa.put("hibernate.show_sql", "false");
			emf.setJpaProperties(jpa);
			return emf;
		}

		@Primary
		@Bean
		public JpaTransactionManager transactionManager(EntityManagerFactory emf) {
			return new JpaTransactionManager(emf);
		}

		@Bean
		public RestfulServer restfulServer(
				FhirContext fhirContext,
				IFhirSystemDao<?, ?> systemDao,
				JpaSystemProvider<?, ?> systemProvider,
				ResourceProviderFactory resourceProviders,
				JpaStorageSettings settings,
				ISearchParamRegistry searchParams,
				IValidationSupport validationSupport,
				DatabaseBackedPagingProvider paging) {
			RestfulServer server = new RestfulServer(fhirContext);
			server.registerProviders(resourceProviders.createProviders());
			server.registerProvider(systemProvider);
			JpaCapabilityStatementProvider cs = new JpaCapabilityStatementProvider(
					server, systemDao, settings, searchParams, validationSupport);
			server.setServerConformanceProvider(cs);
			server.setPagingProvider(paging);
			server.setDefaultResponseEncoding(EncodingEnum.JSON);
			return server;
		}
	}

	private Launcher() {}
}
